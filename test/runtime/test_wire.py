"""pyml.wire: splitting requests and joining responses agree with protobuf."""

import random

import pytest

from pyml import wire
from pyml.errors import InvalidRequest
from pyml.proto import grpc_predict_v2_pb2 as pb


def request(raw=True, request_id="", n=3, size=10):
    r = pb.ModelInferRequest(model_name="m", model_version="1", id=request_id)
    r.parameters["content_type"].string_param = "pd"
    for i in range(n):
        t = r.inputs.add(name="c%d" % i, datatype="FP64", shape=[size])
        if raw:
            r.raw_input_contents.append(bytes([i]) * 8 * size)
        else:
            t.contents.fp64_contents.extend([float(i)] * size)
    r.outputs.add(name="y")
    return r


@pytest.mark.parametrize("raw", [True, False])
@pytest.mark.parametrize("request_id", ["", "id-\u00e9"])
@pytest.mark.parametrize("size", [1, 100_000])
def test_split_matches_protobuf(raw, request_id, size):
    r = request(raw, request_id, size=size)
    split = wire.parse_infer_request(r.SerializeToString())
    assert [bytes(b) for b in split.raw] == list(r.raw_input_contents)
    expected = pb.ModelInferRequest()
    expected.CopyFrom(r)
    expected.ClearField("raw_input_contents")
    expected.ClearField("id")
    assert split.message() == expected
    response = pb.ModelInferResponse()
    response.MergeFromString(split.id_field)
    assert response.id == request_id


def test_raw_entries_are_views_of_the_request():
    data = request(size=1000).SerializeToString()
    split = wire.parse_infer_request(data)
    assert all(isinstance(b, memoryview) and b.obj is data for b in split.raw)


def test_same_layout_same_key():
    a = wire.parse_infer_request(request(request_id="a").SerializeToString())
    b = wire.parse_infer_request(request(request_id="b").SerializeToString())
    c = wire.parse_infer_request(request(size=11).SerializeToString())
    assert a.key == b.key and a.key != c.key


def test_fields_in_any_order():
    r = request()
    head = pb.ModelInferRequest()
    head.CopyFrom(r)
    head.ClearField("raw_input_contents")
    # raw entries first, then the rest: still the same request for protobuf and for us
    data = b"".join(b"\x3a" + bytes([len(x)]) + x for x in [bytes(3)]) + head.SerializeToString()
    split = wire.parse_infer_request(data)
    assert [bytes(b) for b in split.raw] == [bytes(3)]
    assert pb.ModelInferRequest.FromString(data).raw_input_contents[0] == bytes(3)


def test_response_join_matches_protobuf():
    resp = pb.ModelInferResponse(model_name="m", id="x")
    resp.outputs.add(name="a", datatype="FP64", shape=[2])
    resp.outputs.add(name="b", datatype="BYTES", shape=[0])
    raws = [b"\x01" * 16, b"", b"\x02" * 300]
    data = wire.serialize_infer_response(resp.SerializeToString(), [memoryview(raws[0]), raws[1], raws[2]])
    expected = pb.ModelInferResponse()
    expected.CopyFrom(resp)
    expected.raw_output_contents.extend(raws)
    assert pb.ModelInferResponse.FromString(data) == expected


@pytest.mark.parametrize(
    "data",
    [b"\x07", b"\x0a\x05ab", b"\x3a\x80", b"\x3a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", b"\x0b\x00", b"\x00\x01", b"\x1a\x02\xff\xfe"],
)
def test_malformed_requests(data):
    with pytest.raises(InvalidRequest) as e:
        wire.parse_infer_request(data).message()
    assert "not a valid ModelInferRequest" in e.value.message


def test_random_bytes_never_crash():
    rng = random.Random(7)
    good = request().SerializeToString()
    for _ in range(2000):
        data = bytearray(good)
        for _ in range(rng.randint(1, 5)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            wire.parse_infer_request(bytes(data)).message()
        except InvalidRequest:
            pass
