"""Strict input checking: each bad request is INVALID_ARGUMENT naming the input,
what was expected and what came; the server keeps answering good requests."""

import numpy as np
import pytest
from test_infer_datatypes import tensors as all_types
from v2client import RpcFailure, Tensor, build_request



def frame_request(mode=("ok",) * 3, x=(1.0, 2.0, 3.0), **kwargs):
    return build_request(
        "behave",
        [Tensor("mode", "BYTES", [len(mode)], list(mode)), Tensor("x", "FP64", [len(x)], list(x))],
        **kwargs,
    )


def mutate(fn, **kwargs):
    request = frame_request(**kwargs)
    fn(request)
    return request


def add_input(request, name, datatype, shape, raw=None, params=None):
    tensor = request.inputs.add(name=name, datatype=datatype, shape=shape)
    for k, v in (params or {}).items():
        tensor.parameters[k].string_param = v
    if raw is not None:
        request.raw_input_contents.append(raw)
    return tensor


def drop_x(r):
    del r.inputs[1]
    del r.raw_input_contents[1]


def set_raw(i, data):
    def fn(r):
        r.raw_input_contents[i] = data

    return fn


def typed(fn=None):
    request = frame_request(raw=False)
    if fn:
        fn(request)
    return request


def typed_wrong_field(r):
    r.inputs[1].contents.Clear()
    r.inputs[1].contents.int64_contents.extend([1, 2, 3])


def typed_short(r):
    del r.inputs[1].contents.fp64_contents[-1]


def typed_no_contents(r):
    r.inputs[1].ClearField("contents")


def mixed(r):
    r.raw_input_contents.append(b"\x00" * 8)
    r.raw_input_contents.append(b"\x00" * 8)


FRAME_CASES = [
    ("missing column", lambda: mutate(drop_x), ["input 'x'", "missing from the request", "mode, x"]),
    ("unknown column", lambda: mutate(lambda r: add_input(r, "z", "FP64", [3], b"\x00" * 24)), ["input 'z'", "not an input of model 'behave'", "mode, x"]),
    ("wrong datatype", lambda: mutate(lambda r: setattr(r.inputs[1], "datatype", "INT64")), ["input 'x'", "expected datatype FP64 (float64 in pyml.yaml), got INT64"]),
    ("no datatype", lambda: mutate(lambda r: setattr(r.inputs[1], "datatype", "")), ["input 'x'", "got none"]),
    ("unknown datatype", lambda: mutate(lambda r: setattr(r.inputs[1], "datatype", "FLOAT")), ["input 'x'", "got FLOAT"]),
    ("different lengths", lambda: frame_request(x=(1.0, 2.0)), ["input 'x'", "same length", "'x' has 2 rows, 'mode' has 3"]),
    ("raw too short", lambda: mutate(set_raw(1, b"\x00" * 16)), ["input 'x'", "needs 24 bytes", "got 16"]),
    ("raw too long", lambda: mutate(set_raw(1, b"\x00" * 32)), ["input 'x'", "needs 24 bytes", "got 32"]),
    ("2-D column", lambda: mutate(lambda r: r.inputs[1].shape.__setitem__(slice(None), [1, 3])), ["input 'x'", "[rows] or [rows, 1]", "[1, 3]"]),
    ("negative size", lambda: mutate(lambda r: r.inputs[1].shape.__setitem__(0, -1)), ["input 'x'", "negative size"]),
    ("raw count", lambda: mutate(lambda r: r.raw_input_contents.pop()), ["raw_input_contents has 1 entries for 2 inputs"]),
    ("raw and typed", lambda: mutate(lambda r: r.inputs[1].contents.fp64_contents.extend([1.0, 2.0, 3.0])), ["input 'x'", "typed contents while the request uses raw_input_contents"]),
    ("duplicate", lambda: mutate(lambda r: add_input(r, "x", "FP64", [3], b"\x00" * 24)), ["input 'x'", "appears twice"]),
    ("typed wrong field", lambda: typed(typed_wrong_field), ["input 'x'", "contents.fp64_contents", "got contents.int64_contents"]),
    ("typed count", lambda: typed(typed_short), ["input 'x'", "needs 3 elements", "has 2"]),
    ("typed none", lambda: typed(typed_no_contents), ["input 'x'", "has no contents"]),
    ("BYTES cut", lambda: mutate(set_raw(0, b"\x05\x00\x00\x00ab")), ["input 'mode'", "declares 5 bytes", "only 2 remain"]),
    ("BYTES short", lambda: mutate(set_raw(0, b"\x02\x00\x00\x00ok")), ["input 'mode'", "end after 1 of 3 elements"]),
    ("BYTES extra", lambda: mutate(set_raw(0, b"\x00\x00\x00\x00" * 3 + b"zz")), ["input 'mode'", "more than the 3 elements"]),
    ("bad UTF-8", lambda: mutate(set_raw(0, b"\x01\x00\x00\x00\xff" * 3)), ["input 'mode'", "element 0 is not valid UTF-8"]),
    ("validity unknown", lambda: mutate(lambda r: add_input(r, "v", "BOOL", [3], b"\x01" * 3, {"validity_of": "zz"})), ["input 'v'", "validity_of names 'zz'"]),
    ("validity length", lambda: mutate(lambda r: add_input(r, "v", "BOOL", [2], b"\x01" * 2, {"validity_of": "x"})), ["input 'x'", "3 rows but its validity tensor has 2"]),
    ("validity datatype", lambda: mutate(lambda r: add_input(r, "v", "INT8", [3], b"\x01" * 3, {"validity_of": "x"})), ["input 'v'", "expected datatype BOOL"]),
    ("unknown output", lambda: frame_request(outputs=["nope"]), ["requested output 'nope'", "y, label, count"]),
]


@pytest.mark.parametrize("name, make, words", FRAME_CASES, ids=[c[0] for c in FRAME_CASES])
def test_bad_dataframe_request(behave_server, name, make, words):
    with pytest.raises(RpcFailure) as e:
        behave_server.client.infer_request(make())
    assert e.value.code.name == "INVALID_ARGUMENT", e.value
    for w in words:
        assert w in e.value.details, (w, e.value.details)
    assert "pyml-error-bin" not in e.value.trailers
    assert list(behave_server.client.infer_request(frame_request())["y"]) == [2.0, 4.0, 6.0]


def test_malformed_message(behave_server):
    for data in [b"\xff\xff\xff", b"\x0a\x10abc", b"\x2a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", b"\x3a\x05ab", b"\x0b"]:
        with pytest.raises(RpcFailure) as e:
            behave_server.client.infer_bytes(data)
        assert e.value.code.name == "INVALID_ARGUMENT"
        assert "not a valid ModelInferRequest" in e.value.details


def test_wrong_model_name_is_not_found(behave_server):
    request = frame_request()
    request.model_name = "other"
    with pytest.raises(RpcFailure) as e:
        behave_server.client.infer_request(request)
    assert e.value.code.name == "NOT_FOUND"
    assert "'other'" in e.value.details and "'behave'" in e.value.details


def tensor_request(x_shape=(2, 2), **kwargs):
    x = np.zeros(x_shape, dtype=np.float32)
    return build_request("tcheck", [Tensor("x", "FP32", list(x_shape), x), Tensor("mode", "BYTES", [1], ["ok"])], **kwargs)


def alltypes(fn):
    if fn[0] == "typed":
        request = build_request("alltypes", all_types(empty=["f16"]), raw=False, outputs=["b"])
    else:
        request = build_request("alltypes", all_types())
    fn[1](request)
    return request


def by_name(request, name):
    return [i for i, t in enumerate(request.inputs) if t.name == name][0]


def i8_out_of_range(r):
    t = r.inputs[by_name(r, "i8")]
    t.contents.int_contents[0] = 300


def u16_out_of_range(r):
    t = r.inputs[by_name(r, "u16")]
    t.contents.uint_contents[1] = 70000


def bool_byte(r):
    r.raw_input_contents[by_name(r, "b")] = b"\x01\x02\x00"


def too_many_rows(r):
    i = by_name(r, "i64")
    r.inputs[i].shape[0] = 1001
    r.raw_input_contents[i] = b"\x00" * 8 * 1001


TENSOR_CASES = [
    ("rank", lambda: tensor_request((4,)), ["input 'x'", "expected shape [-1, 2] (-1: any size), got [4]"]),
    ("fixed dim", lambda: tensor_request((2, 3)), ["input 'x'", "expected shape [-1, 2]", "got [2, 3]"]),
    ("INT8 range", lambda: alltypes(("typed", i8_out_of_range)), ["input 'i8'", "element 0 is 300, out of range for INT8 (-128..127)"]),
    ("UINT16 range", lambda: alltypes(("typed", u16_out_of_range)), ["input 'u16'", "out of range for UINT16"]),
    ("BOOL byte", lambda: alltypes(("raw", bool_byte)), ["input 'b'", "0 or 1", "element 1 is 2"]),
    ("max_batch", lambda: alltypes(("raw", too_many_rows)), ["input 'i64'", "max_batch of 1000"]),
]


@pytest.mark.parametrize("name, make, words", TENSOR_CASES, ids=[c[0] for c in TENSOR_CASES])
def test_bad_tensor_request(tensor_server, tcheck_server, name, make, words):
    request = make()
    server = tensor_server if request.model_name == "alltypes" else tcheck_server
    with pytest.raises(RpcFailure) as e:
        server.client.infer_request(request)
    assert e.value.code.name == "INVALID_ARGUMENT", e.value
    for w in words:
        assert w in e.value.details, (w, e.value.details)
    server.client.infer_request(tensor_request() if server is tcheck_server else build_request("alltypes", all_types()))


def test_message_over_the_size_limit_and_max_batch(start_server, models_root):
    from conftest import write_model
    from models import identity_frame

    spec = identity_frame("tiny", [("a", "float64"), ("b", "float64")], extra="max_batch: 3\n")
    server = start_server(write_model(models_root / "tiny", spec["manifest"], spec["files"]), "--max-message-mb", "1")
    assert server.client.model_metadata("tiny").parameters["max_batch"].int64_param == 3

    def columns(n):
        return [Tensor("a", "FP64", [n], np.arange(n, dtype=float)), Tensor("b", "FP64", [n], np.ones(n))]

    with pytest.raises(RpcFailure) as e:
        server.client.infer_request(build_request("tiny", columns(100_000)))  # 1.6 MB
    assert e.value.code.name == "RESOURCE_EXHAUSTED"
    with pytest.raises(RpcFailure) as e:
        server.client.infer_request(build_request("tiny", columns(4)))
    assert e.value.code.name == "INVALID_ARGUMENT"
    assert "input 'a': 4 rows is over this model's max_batch of 3" in e.value.details
    ok = server.client.infer_request(build_request("tiny", columns(3)))
    assert list(ok["a"]) == [0.0, 1.0, 2.0] and list(ok["b"]) == [1.0, 1.0, 1.0]
