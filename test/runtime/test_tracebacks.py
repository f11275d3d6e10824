"""pyml.tracebacks and pyml.contract, in-process."""

import json
import sys
from pathlib import Path

import pytest

from pyml import tracebacks
from pyml.contract import DataFrameModel, TensorModel


def raise_from_model(folder: Path, depth: int = 1):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mod_tb.py").write_text(
        "def inner(n):\n    if n == 0:\n        raise ValueError('bad ' + 'x' * 5)\n    return inner(n - 1)\n"
    )
    sys.path.insert(0, str(folder))
    try:
        sys.modules.pop("mod_tb", None)
        import mod_tb

        try:
            mod_tb.inner(depth)
        except ValueError as e:
            return e
    finally:
        sys.path.remove(str(folder))
    raise AssertionError("did not raise")


def test_report_fields(tmp_path):
    exc = raise_from_model(tmp_path / "model")
    report = tracebacks.build_report(exc, "predict", tmp_path / "model")
    assert report["type"] == "ValueError" and report["message"] == "bad xxxxx" and report["phase"] == "predict"
    frames = report["frames"]
    assert frames[0]["in_model"] is False and frames[0]["file"] == str(Path(__file__).resolve())
    assert frames[-1] == {"file": "mod_tb.py", "line": 3, "function": "inner", "code": "raise ValueError('bad ' + 'x' * 5)", "in_model": True}
    assert tracebacks.summary(report) == "ValueError: bad xxxxx (mod_tb.py:3 in inner)"
    assert json.loads(tracebacks.encode(report)) == report


def test_encode_keeps_under_the_limit(tmp_path):
    exc = raise_from_model(tmp_path / "model", depth=300)
    report = tracebacks.build_report(exc, "predict", tmp_path / "model")
    assert len(tracebacks._dump(report)) > 4096
    data = tracebacks.encode(report)
    assert len(data) <= tracebacks.MAX_REPORT_BYTES
    short = json.loads(data)
    assert short["truncated"] is True
    assert short["frames"][0] == report["frames"][0] and short["frames"][-1] == report["frames"][-1]
    assert short["type"] == "ValueError"


def test_summary_without_model_frames():
    report = {"type": "KeyError", "message": "'a'\nsecond line", "frames": [], "phase": "predict"}
    assert tracebacks.summary(report) == "KeyError: 'a' second line"


def test_type_names_are_qualified():
    class Mine(Exception):
        pass

    report = tracebacks.build_report(Mine("m"), "predict", Path("/nowhere"))
    assert report["type"].endswith("test_tracebacks.test_type_names_are_qualified.<locals>.Mine")


def test_data_path_resolves_inside_data(tmp_path):
    from pyml.contract import _LOADING_DIR

    class M(DataFrameModel):
        def __init__(self):
            self.weights = self.data_path("w.bin")

        def predict(self, df):
            return df

    token = _LOADING_DIR.set(tmp_path)
    try:
        m = M()
    finally:
        _LOADING_DIR.reset(token)
    assert m.weights == (tmp_path / "data" / "w.bin").resolve()
    assert m.model_dir == tmp_path
    assert m.data_path("sub", "x.txt") == (tmp_path / "data" / "sub" / "x.txt").resolve()
    with pytest.raises(ValueError):
        m.data_path("..", "pyml.yaml")
    with pytest.raises(ValueError):
        m.data_path("/etc/passwd")


def test_model_outside_the_server_uses_its_module_folder():
    class T(TensorModel):
        def predict(self, tensors):
            return tensors

    assert T().model_dir == Path(__file__).resolve().parent


def test_predict_is_abstract():
    class Nothing(DataFrameModel):
        pass

    with pytest.raises(TypeError):
        Nothing()
