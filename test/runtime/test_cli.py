"""`python3 -m pyml check|serve|version`: exit codes and how-to-fix messages."""

import json

import pytest
from conftest import run_cli, write_model

import pyml

MANIFEST = """
    name: m
    model: model:M
    kind: dataframe
    inputs: [{name: x, dtype: float64}]
    outputs: [{name: y, dtype: float64}]
"""


def report_of(stderr):
    line = [s for s in stderr.splitlines() if s.startswith("PYML_ERROR_JSON ")][-1]
    return json.loads(line.split(" ", 1)[1])


def test_version():
    result = run_cli("version")
    assert result.returncode == 0 and result.stdout.strip() == pyml.__version__


def test_check_ok(tmp_path):
    folder = write_model(
        tmp_path / "m",
        MANIFEST,
        {"model.py": "from pyml import DataFrameModel\n\nclass M(DataFrameModel):\n    def predict(self, df):\n        return df\n"},
    )
    result = run_cli("check", str(folder))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "pyml: model OK: m 0.1.0 (dataframe, 1 input, 1 output)"
    assert not (folder / "__pycache__").exists()  # nothing written into the model folder


CONTRACT_CASES = [
    (
        "wrong base",
        "from pyml import TensorModel\n\nclass M(TensorModel):\n    def predict(self, t):\n        return t\n",
        ["M derives from pyml.TensorModel but pyml.yaml says kind: dataframe", "derive from pyml.DataFrameModel"],
        ("model.py", 3),
    ),
    (
        "no base",
        "class M:\n    def predict(self, df):\n        return df\n",
        ["M must derive from pyml.DataFrameModel", "class M(DataFrameModel)"],
        ("model.py", 1),
    ),
    ("no class", "class Other:\n    pass\n", ["module 'model' has no class 'M'", "classes defined there: Other"], None),
    (
        "no predict",
        "from pyml import DataFrameModel\n\nclass M(DataFrameModel):\n    pass\n",
        ["M does not implement predict", "def predict(self, df)"],
        ("model.py", 3),
    ),
    (
        "init args",
        "from pyml import DataFrameModel\n\nclass M(DataFrameModel):\n    def __init__(self, path):\n        pass\n\n    def predict(self, df):\n        return df\n",
        ["M.__init__ takes arguments (path)", "self.data_path"],
        ("model.py", 3),
    ),
    (
        "predict args",
        "from pyml import DataFrameModel\n\nclass M(DataFrameModel):\n    def predict(self):\n        return 1\n",
        ["M.predict must take one argument besides self: def predict(self, df)"],
        ("model.py", 3),
    ),
]


@pytest.mark.parametrize("name, code, words, frame", CONTRACT_CASES, ids=[c[0] for c in CONTRACT_CASES])
def test_check_reports_contract_errors(tmp_path, name, code, words, frame):
    folder = write_model(tmp_path / "m", MANIFEST, {"model.py": code})
    result = run_cli("check", str(folder))
    assert result.returncode == 3, result.stderr
    for w in words:
        assert w in result.stderr, (w, result.stderr)
    report = report_of(result.stderr)
    assert report["type"] == "pyml.ContractError" and report["phase"] == "load"
    if frame:
        assert (report["frames"][0]["file"], report["frames"][0]["line"]) == frame
        assert report["frames"][0]["in_model"] is True


def test_check_missing_module(tmp_path):
    folder = write_model(tmp_path / "m", MANIFEST, {})
    result = run_cli("check", str(folder))
    assert result.returncode == 3
    assert "no module 'model'" in result.stderr and "create model.py" in result.stderr


def test_check_module_shadowed_by_an_installed_one(tmp_path):
    folder = write_model(tmp_path / "m", MANIFEST.replace("model: model:M", "model: json:M"), {})
    result = run_cli("check", str(folder))
    assert result.returncode == 3
    assert "module 'json' was imported from" in result.stderr and "not from the model folder" in result.stderr


def test_check_exception_in_init(tmp_path):
    code = "from pyml import DataFrameModel\n\nclass M(DataFrameModel):\n    def __init__(self):\n        open(self.data_path('weights.bin'))\n\n    def predict(self, df):\n        return df\n"
    result = run_cli("check", str(write_model(tmp_path / "m", MANIFEST, {"model.py": code})))
    assert result.returncode == 3
    assert "FileNotFoundError" in result.stderr and "data/weights.bin" in result.stderr
    report = report_of(result.stderr)
    assert report["type"] == "FileNotFoundError"
    assert report["frames"][-1]["file"] == "model.py" and report["frames"][-1]["line"] == 5


def test_check_manifest_errors(tmp_path):
    result = run_cli("check", str(tmp_path))
    assert result.returncode == 2 and "no pyml.yaml in" in result.stderr
    (tmp_path / "pyml.yaml").write_text("name: m\nmodel: [unclosed\n")
    result = run_cli("check", str(tmp_path))
    assert result.returncode == 2
    assert "not valid YAML at line" in result.stderr
    assert report_of(result.stderr)["type"] == "ManifestError"
    result = run_cli("check", str(tmp_path / "nope"))
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_serve_refuses_bad_options(tmp_path):
    folder = write_model(tmp_path / "m", MANIFEST, {"model.py": ""})
    long_path = "/tmp/" + "x" * 120 + ".sock"
    result = run_cli("serve", str(folder), "--socket", long_path)
    assert result.returncode == 2 and "over the 107-byte limit" in result.stderr
    result = run_cli("serve", str(folder), "--socket", "/nonexistent-dir/s.sock")
    assert result.returncode == 2 and "socket folder /nonexistent-dir does not exist" in result.stderr
    result = run_cli("serve", str(folder), "--socket", "/tmp/x.sock", "--max-message-mb", "0")
    assert result.returncode == 2 and "--max-message-mb must be between 1 and 2047" in result.stderr
    result = run_cli("serve", str(folder))
    assert result.returncode == 2 and "one of the arguments --socket --port is required" in result.stderr
