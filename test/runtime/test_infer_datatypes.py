"""Every V2 datatype, both ways, raw and typed, through a real tensor model."""

import struct

import numpy as np
import pytest
from v2client import RpcFailure, Tensor, build_request, encode_raw

INF, NAN = float("inf"), float("nan")

VALUES = {
    "b": ("BOOL", [3], [True, False, True]),
    "i8": ("INT8", [3], [-128, 0, 127]),
    "i16": ("INT16", [3], [-32768, 1, 32767]),
    "i32": ("INT32", [3], [-(2**31), 2, 2**31 - 1]),
    "i64": ("INT64", [3], [-(2**63), 3, 2**63 - 1]),
    "u8": ("UINT8", [3], [0, 1, 255]),
    "u16": ("UINT16", [3], [0, 2, 65535]),
    "u32": ("UINT32", [3], [0, 3, 2**32 - 1]),
    "u64": ("UINT64", [3], [0, 4, 2**64 - 1]),
    "f16": ("FP16", [3], [-1.5, 0.0, 65504.0]),
    "f32": ("FP32", [2, 3], [[1.5, -0.0, INF], [NAN, 1e-30, 3.4e38]]),
    "f64": ("FP64", [3], [NAN, -INF, 1e-300]),
    "s": ("BYTES", [3], ["", "h\u00e9llo \u2603 \U0001F600", "a" * 1000]),
    "by": ("BYTES", [3], [b"", b"\x00\xff\x01", b"xyz" * 100]),
}


def tensors(skip=(), empty=()):
    out = []
    for name, (dt, shape, values) in VALUES.items():
        if name in skip:
            continue
        if name in empty:
            out.append(Tensor(name, dt, [0] + shape[1:], []))
        else:
            out.append(Tensor(name, dt, shape, values))
    return out


def expected(name):
    dt, shape, values = VALUES[name]
    if dt == "BYTES":
        return [v.encode("utf-8") if isinstance(v, str) else v for v in values]
    return np.array(values, dtype={"BOOL": bool}.get(dt, None) or _np(dt)).reshape(shape)


def _np(dt):
    return {"INT8": "i1", "INT16": "<i2", "INT32": "<i4", "INT64": "<i8", "UINT8": "u1", "UINT16": "<u2",
            "UINT32": "<u4", "UINT64": "<u8", "FP16": "<f2", "FP32": "<f4", "FP64": "<f8"}[dt]


def assert_same(name, got):
    want = expected(name)
    if isinstance(want, list):
        assert got == want, name
    else:
        assert got.dtype == want.dtype, name
        assert got.shape == want.shape, name
        assert got.tobytes() == want.tobytes(), name  # bit-exact, NaN and -0.0 included


def test_raw_request_gets_raw_response_for_every_datatype(tensor_server):
    result = tensor_server.client.infer("alltypes", tensors(), request_id="req-1")
    assert result.raw
    assert result.response.id == "req-1"
    assert result.response.model_name == "alltypes" and result.response.model_version == "2.0.1"
    assert result.response.parameters["pyml_predict_ms"].double_param >= 0
    for name, (dt, shape, _) in VALUES.items():
        tensor = result.tensors[name]
        assert tensor.datatype == dt and list(tensor.shape) == shape, name
        assert_same(name, result[name])


def test_raw_output_bytes_follow_the_wire_format(tensor_server):
    result = tensor_server.client.infer("alltypes", tensors())
    raw = dict(zip([t.name for t in result.response.outputs], result.response.raw_output_contents))
    assert raw["i16"] == struct.pack("<hhh", -32768, 1, 32767)
    assert raw["f64"][8:] == struct.pack("<dd", -INF, 1e-300)
    assert raw["b"] == b"\x01\x00\x01"
    assert raw["u64"] == struct.pack("<QQQ", 0, 4, 2**64 - 1)
    assert raw["by"][:9] == b"\x00\x00\x00\x00" + b"\x03\x00\x00\x00\x00"
    assert raw["s"] == b"".join(struct.pack("<I", len(v.encode())) + v.encode() for v in VALUES["s"][2])


def test_typed_request_gets_typed_response(tensor_server):
    # FP16 has no typed field: send it empty, and ask for every other output.
    wanted = [n for n in VALUES if n != "f16"]
    result = tensor_server.client.infer("alltypes", tensors(empty=["f16"]), raw=False, outputs=wanted, request_id="t")
    assert not result.raw
    assert result.response.id == "t"
    assert [t.name for t in result.response.outputs] == wanted
    for name in wanted:
        assert_same(name, result[name])
    assert list(result.tensors["i8"].contents.int_contents) == [-128, 0, 127]
    assert list(result.tensors["u16"].contents.uint_contents) == [0, 2, 65535]
    assert result.response.parameters["pyml_predict_ms"].WhichOneof("parameter_choice") == "double_param"


def test_typed_request_with_fp16_output_is_answered_raw(tensor_server):
    result = tensor_server.client.infer("alltypes", tensors(empty=["f16"]), raw=False)
    assert result.raw
    assert list(result.tensors["f16"].shape) == [0]
    assert_same("i64", result["i64"])


def test_requested_outputs_only_in_manifest_order(tensor_server):
    result = tensor_server.client.infer("alltypes", tensors(), outputs=["s", "b"])
    assert [t.name for t in result.response.outputs] == ["b", "s"]


def test_empty_tensors(tensor_server):
    result = tensor_server.client.infer("alltypes", tensors(empty=list(VALUES)[:-1] + ["by"]))
    for name in ["i8", "f64", "s", "by", "f32"]:
        assert list(result.tensors[name].shape) == [0] + VALUES[name][1][1:]
        assert len(result[name]) == 0


def test_fp16_typed_contents_are_refused(tensor_server):
    request = build_request("alltypes", tensors(skip=["f16"]), raw=False)
    f16 = request.inputs.add(name="f16", datatype="FP16", shape=[1])
    f16.contents.fp32_contents.append(1.0)
    with pytest.raises(RpcFailure) as e:
        tensor_server.client.infer_request(request)
    assert e.value.code.name == "INVALID_ARGUMENT"
    assert "input 'f16'" in e.value.details and "raw_input_contents" in e.value.details


def test_many_rows_raw(tensor_server):
    n = 1000
    rng = np.random.default_rng(0)
    ts = []
    for name, (dt, shape, _) in VALUES.items():
        rows = [n] + shape[1:]
        if dt == "BYTES":
            vals = ["v%d" % i for i in range(n)]
        elif dt == "BOOL":
            vals = rng.random(n) > 0.5
        else:
            vals = (rng.random(int(np.prod(rows))) * 100).astype(_np(dt)).reshape(rows)
        ts.append(Tensor(name, dt, rows, vals))
    result = tensor_server.client.infer("alltypes", ts)
    for t in ts:
        got = result[t.name]
        if t.datatype == "BYTES":
            assert got == [v.encode() for v in t.values]
        else:
            assert got.tobytes() == encode_raw(t.datatype, t.values)
