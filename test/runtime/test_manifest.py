"""pyml.yaml validation: every problem names the key and says how to fix it."""

import textwrap
from pathlib import Path

import pytest

from pyml import manifest
from pyml.errors import ManifestError

GOOD = """
name: churn
version: 0.1.0
model: model:ChurnModel
kind: dataframe
thread_safe: false
max_batch: 5000
description: churn risk
inputs:
  - {name: tenure, dtype: int64}
  - {name: plan, dtype: string}
outputs:
  - {name: churn_probability, dtype: float64}
runtime: {base_image: python:3.11-slim}
"""


def parse(text):
    return manifest.parse(textwrap.dedent(text), Path("/m/pyml.yaml"))


def test_good_manifest():
    m = parse(GOOD)
    assert (m.name, m.version, m.module, m.class_name, m.kind) == ("churn", "0.1.0", "model", "ChurnModel", "dataframe")
    assert [(s.name, s.dtype.name, s.dtype.datatype, s.shape) for s in m.inputs] == [
        ("tenure", "int64", "INT64", (-1,)),
        ("plan", "string", "BYTES", (-1,)),
    ]
    assert m.max_batch == 5000 and m.thread_safe is False
    assert m.runtime == {"base_image": "python:3.11-slim"}


def test_tensor_manifest_and_defaults():
    m = parse(
        """
        name: img
        model: pkg.net:Net
        kind: tensor
        inputs: [{name: x, dtype: FP32, shape: [-1, 3, 224, 224]}]
        outputs: [{name: p, dtype: float32, shape: [-1, 1000]}]
        """
    )
    assert m.version == "0.1.0" and m.module == "pkg.net" and m.thread_safe is False and m.max_batch is None
    assert m.inputs[0].shape == (-1, 3, 224, 224)


def test_numeric_version_is_text():
    assert parse(GOOD.replace("version: 0.1.0", "version: 2")).version == "2"


def replace(old, new):
    assert GOOD.count(old) == 1, old
    return GOOD.replace(old, new)


CASES = [
    ("empty", "", None, ["must be a YAML mapping"]),
    ("yaml", "name: [x\n", None, ["not valid YAML at line"]),
    ("no name", replace("name: churn\n", ""), "name", ["is missing", "name: churn"]),
    ("bad name", replace("name: churn\n", "name: 'my model'\n"), "name", ["not a valid model name"]),
    ("no model", replace("model: model:ChurnModel\n", ""), "model", ["is missing", "module:Class"]),
    ("bad model", replace("model: model:ChurnModel", "model: model.ChurnModel"), "model", ["is not module:Class", "model: model:ChurnModel"]),
    ("bad kind", replace("kind: dataframe", "kind: table"), "kind", ["must be 'dataframe'", "or 'tensor'", "got 'table'"]),
    ("no inputs", replace("inputs:\n  - {name: tenure, dtype: int64}\n  - {name: plan, dtype: string}\n", ""), "inputs", ["is missing", "columns"]),
    ("empty inputs", replace("inputs:\n  - {name: tenure, dtype: int64}\n  - {name: plan, dtype: string}\n", "inputs: []\n"), "inputs", ["non-empty list"]),
    ("item not mapping", replace("  - {name: plan, dtype: string}", "  - plan"), "inputs[1]", ["must be a mapping"]),
    ("no item name", replace("{name: plan, dtype: string}", "{dtype: string}"), "inputs[1].name", ["is missing"]),
    ("bad dtype", replace("{name: tenure, dtype: int64}", "{name: tenure, dtype: integer}"), "inputs[0].dtype", ["'integer' is not a dtype", "float64", "FP64"]),
    ("no dtype", replace("{name: tenure, dtype: int64}", "{name: tenure}"), "inputs[0].dtype", ["nothing is not a dtype"]),
    ("duplicate", replace("{name: plan, dtype: string}", "{name: tenure, dtype: string}"), "inputs[1].name", ["declared twice"]),
    ("typo key", replace("thread_safe: false", "thread_sfe: false"), "thread_sfe", ["did you mean 'thread_safe'"]),
    ("typo item key", replace("{name: plan, dtype: string}", "{name: plan, dtyp: string}"), "inputs[1].dtyp", ["did you mean 'dtype'"]),
    ("unknown item key", replace("{name: plan, dtype: string}", "{name: plan, dtype: string, colour: red}"), "inputs[1].colour", ["allowed keys are"]),
    ("thread_safe", replace("thread_safe: false", "thread_safe: maybe"), "thread_safe", ["must be true or false"]),
    ("max_batch", replace("max_batch: 5000", "max_batch: 0"), "max_batch", ["positive whole number"]),
    ("runtime", replace("runtime: {base_image: python:3.11-slim}", "runtime: python"), "runtime", ["must be a mapping"]),
    ("frame shape", replace("{name: plan, dtype: string}", "{name: plan, dtype: string, shape: [-1, 2]}"), "inputs[1].shape", ["remove 'shape'"]),
    ("bad version", replace("version: 0.1.0", "version: [1]"), "version", ["non-empty string"]),
]


@pytest.mark.parametrize("name, text, key, words", CASES, ids=[c[0] for c in CASES])
def test_bad_manifest_names_the_key(name, text, key, words):
    with pytest.raises(ManifestError) as e:
        parse(text)
    assert e.value.key == key
    assert e.value.message.startswith("/m/pyml.yaml: " + (key + ": " if key else ""))
    for w in words:
        assert w in e.value.message, (w, e.value.message)


@pytest.mark.parametrize(
    "shape, ok",
    [("[-1, 3]", True), ("[]", True), ("[2]", True), ("[-2]", False), ("[1.5]", False), ("3", False), ("[true]", False)],
)
def test_tensor_shapes(shape, ok):
    text = "name: t\nmodel: m:T\nkind: tensor\ninputs: [{name: x, dtype: float32, shape: %s}]\noutputs: [{name: y, dtype: float32, shape: [-1]}]\n" % shape
    if ok:
        parse(text)
    else:
        with pytest.raises(ManifestError) as e:
            parse(text)
        assert e.value.key == "inputs[0].shape"


def test_tensor_without_shape():
    with pytest.raises(ManifestError) as e:
        parse("name: t\nmodel: m:T\nkind: tensor\ninputs: [{name: x, dtype: float32}]\noutputs: [{name: y, dtype: float32, shape: [-1]}]\n")
    assert e.value.key == "inputs[0].shape" and "-1 for any size" in e.value.message


def test_unknown_top_level_key_is_tolerated(caplog):
    m = parse(GOOD + "samples: [a.json]\n")
    assert m.name == "churn"
    assert "unknown key 'samples' ignored" in caplog.text


def test_missing_file(tmp_path):
    with pytest.raises(ManifestError) as e:
        manifest.load(tmp_path)
    assert "no pyml.yaml in" in e.value.message
