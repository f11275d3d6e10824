"""Exceptions in predict and broken output contracts: a status with the
traceback in `pyml-error-bin`, and the server keeps serving."""

import json

import numpy as np
import pytest
from v2client import RpcFailure, Tensor, frame_tensors


def fail(server, mode, x=(1.0, 2.0, 3.0)):
    with pytest.raises(RpcFailure) as e:
        server.client.infer("behave", frame_tensors({"mode": ("BYTES", [mode] * len(x)), "x": ("FP64", list(x))}))
    return e.value


def still_serving(server):
    result = server.client.infer("behave", frame_tensors({"mode": ("BYTES", ["ok"]), "x": ("FP64", [4.0])}))
    assert list(result["y"]) == [8.0]


def test_exception_in_predict_carries_the_traceback(behave_server):
    error = fail(behave_server, "raise", x=(42.0,))
    assert error.code.name == "INTERNAL"
    assert error.details == "ValueError: bad value 42 (helper.py:3 in compute)"
    report = error.report
    assert report["type"] == "ValueError"
    assert report["message"] == "bad value 42"
    assert report["phase"] == "predict"
    assert report["truncated"] is False
    frames = report["frames"]
    # Starts at the model's predict: no pyml frames above it.
    assert frames[0]["file"] == "model.py" and frames[0]["function"] == "predict" and frames[0]["in_model"] is True
    assert frames[0]["code"] == "compute(int(df[\"x\"].iloc[0]))"
    assert frames[-1] == {"file": "helper.py", "line": 3, "function": "compute", "code": 'raise ValueError("bad value %d" % value)', "in_model": True}
    assert isinstance(frames[0]["line"], int) and frames[0]["line"] > 1
    assert report["traceback"].startswith("Traceback (most recent call last):")
    assert report["traceback"].rstrip().endswith("ValueError: bad value 42")
    assert "pyml/dataplane.py" not in report["traceback"]
    still_serving(behave_server)


def test_the_trailer_is_utf8_json(behave_server):
    error = fail(behave_server, "raise", x=(50.0,))
    raw = error.trailers["pyml-error-bin"]
    assert isinstance(raw, bytes)
    assert json.loads(raw.decode("utf-8"))["message"] == "bad value 50"


def test_library_frames_are_absolute_and_not_in_model(behave_server):
    error = fail(behave_server, "unknown-mode")
    assert error.details.startswith("KeyError: 'unknown-mode' (model.py:")
    assert error.report["type"] == "KeyError"
    assert all(f["in_model"] for f in error.report["frames"])


def test_deep_recursion_fits_the_metadata_limit(behave_server):
    error = fail(behave_server, "recurse")
    assert error.code.name == "INTERNAL"
    assert error.report["type"] == "RecursionError"
    assert error.report["truncated"] is True
    assert error.report_bytes <= 4096
    frames = error.report["frames"]
    assert frames[0]["function"] == "predict" and frames[-1]["function"] == "recurse"
    assert "characters cut" in error.report["traceback"] or error.report["traceback"] == ""
    still_serving(behave_server)


def test_huge_message_is_shortened(behave_server):
    error = fail(behave_server, "bigmsg")
    assert error.details.startswith("RuntimeError: xxx")
    assert len(error.details) < 600
    assert error.report_bytes <= 4096
    still_serving(behave_server)


def test_sys_exit_in_predict_does_not_stop_the_server(behave_server):
    error = fail(behave_server, "exit")
    assert error.code.name == "INTERNAL"
    assert error.report["type"] == "SystemExit"
    still_serving(behave_server)


@pytest.mark.parametrize(
    "mode, words",
    [
        ("missing", ["output 'count'", "missing"]),
        ("extra", ["output 'zzz'", "does not declare"]),
        ("dtype", ["output 'count'", "expected int64", "float64", ".astype('int64')"]),
        ("nan_int", ["output 'count'", "NaN", "'Int64'"]),
        ("not_frame", ["must return a pandas DataFrame", "dict"]),
        ("series", ["must return a pandas DataFrame", "to_frame"]),
        ("badstr", ["output 'label'", "expected string values", "dtype int64"]),
        ("mixed", ["output 'label'", "expected string values", "element 1 is int 5"]),
    ],
)
def test_broken_output_contract(behave_server, mode, words):
    error = fail(behave_server, mode)
    assert error.code.name == "INTERNAL"
    for w in words:
        assert w in error.details, (w, error.details)
    assert error.report["type"] == "pyml.OutputError"
    assert error.report["phase"] == "predict"
    assert error.report["frames"] == []
    still_serving(behave_server)


def tcall(server, mode, rows=2):
    x = Tensor("x", "FP32", [rows, 2], np.arange(rows * 2, dtype=np.float32).reshape(rows, 2))
    return server.client.infer("tcheck", [x, Tensor("mode", "BYTES", [1], [mode])])


def test_tensor_model_ok_and_safe_cast(tcheck_server):
    result = tcall(tcheck_server, "ok")
    np.testing.assert_array_equal(result["y"], [[0, 2], [4, 6]])
    assert list(result["n"]) == [0, 1]
    result = tcall(tcheck_server, "int32")
    assert result.tensors["n"].datatype == "INT64"


@pytest.mark.parametrize(
    "mode, words",
    [
        ("shape", ["output 'y'", "expected shape [-1, 2]", "[2, 3]"]),
        ("dtype64", ["output 'y'", "expected float32", "float64"]),
        ("missing", ["output 'n'", "missing"]),
        ("extra", ["output 'z'", "does not declare"]),
        ("notdict", ["dict of numpy arrays", "list"]),
        ("strn", ["output 'n'", "expected int64"]),
    ],
)
def test_tensor_output_contract(tcheck_server, mode, words):
    with pytest.raises(RpcFailure) as e:
        tcall(tcheck_server, mode)
    assert e.value.code.name == "INTERNAL"
    for w in words:
        assert w in e.value.details, (w, e.value.details)
    tcall(tcheck_server, "ok")


def test_tensor_model_exception_in_a_package(tcheck_server):
    with pytest.raises(RpcFailure) as e:
        tcall(tcheck_server, "raise")
    assert e.value.details.startswith("KeyError: 'k' (pkg/model.py:")
    assert e.value.report["frames"][-1]["file"] == "pkg/model.py"
