"""pyml.codecs, value by value against the V2 wire format (no server)."""

import struct

import numpy as np
import pytest

from pyml import codecs, dtypes
from pyml.errors import InvalidInput
from pyml.proto import grpc_predict_v2_pb2 as pb

D = dtypes.BY_NAME


@pytest.mark.parametrize(
    "dtype, values, wire",
    [
        ("bool", [True, False], b"\x01\x00"),
        ("int8", [-1, 127], b"\xff\x7f"),
        ("int16", [-2, 258], b"\xfe\xff\x02\x01"),
        ("int32", [1], b"\x01\x00\x00\x00"),
        ("int64", [-1], b"\xff" * 8),
        ("uint8", [255], b"\xff"),
        ("uint16", [513], b"\x01\x02"),
        ("uint32", [2**32 - 1], b"\xff\xff\xff\xff"),
        ("uint64", [2**64 - 1], b"\xff" * 8),
        ("float16", [1.0], b"\x00\x3c"),
        ("float32", [1.0], b"\x00\x00\x80\x3f"),
        ("float64", [1.0], b"\x00\x00\x00\x00\x00\x00\xf0\x3f"),
    ],
)
def test_raw_numeric_is_little_endian(dtype, values, wire):
    d = D[dtype]
    decoded = codecs.decode_raw("t", d, [len(values)], wire)
    assert decoded.tolist() == values
    assert decoded.dtype == d.wire
    assert bytes(memoryview(codecs.encode_raw(d, decoded)).cast("B")) == wire


def test_raw_decode_is_a_view_not_a_copy():
    data = np.arange(6, dtype="<f8").tobytes()
    arr = codecs.decode_raw("t", D["float64"], [2, 3], data)
    assert arr.shape == (2, 3)
    assert not arr.flags.owndata  # numpy.frombuffer over the request buffer


def test_raw_bytes_elements():
    wire = b"\x02\x00\x00\x00ab" + b"\x00\x00\x00\x00" + b"\x03\x00\x00\x00\xe2\x98\x83"
    assert codecs.decode_raw("t", D["bytes"], [3], wire).tolist() == [b"ab", b"", "\u2603".encode()]
    assert codecs.decode_raw("t", D["string"], [3], wire).tolist() == ["ab", "", "\u2603"]
    assert codecs.encode_raw(D["string"], np.array(["ab", "", "\u2603"], dtype=object)) == wire
    assert codecs.encode_raw(D["bytes"], [b"ab", b"", "\u2603".encode()]) == wire


def test_raw_bytes_2d_shape():
    wire = b"".join(struct.pack("<I", 1) + c for c in [b"a", b"b", b"c", b"d"])
    assert codecs.decode_raw("t", D["bytes"], [2, 2], wire).tolist() == [[b"a", b"b"], [b"c", b"d"]]


@pytest.mark.parametrize(
    "dtype, shape, wire, words",
    [
        ("float64", [2], b"\x00" * 15, ["input 't'", "needs 16 bytes", "got 15"]),
        ("int32", [2, 2], b"\x00" * 12, ["shape [2, 2] of INT32 needs 16 bytes of raw contents (4 x 4), got 12"]),
        ("bool", [2], b"\x01\x05", ["BOOL elements must be the bytes 0 or 1; element 1 is 5"]),
        ("bytes", [2], b"\x01\x00\x00\x00a", ["end after 1 of 2 elements"]),
        ("bytes", [1], b"\x01\x00\x00", ["end after 0 of 1 elements"]),
        ("bytes", [1], b"\x09\x00\x00\x00abc", ["element 0 declares 9 bytes but only 3 remain"]),
        ("bytes", [1], b"\x01\x00\x00\x00ab", ["1 bytes left over"]),
        ("string", [1], b"\x02\x00\x00\x00\xc3\x28", ["element 0 is not valid UTF-8"]),
        ("float32", [-1], b"", ["negative size"]),
    ],
)
def test_raw_decode_errors(dtype, shape, wire, words):
    with pytest.raises(InvalidInput) as e:
        codecs.decode_raw("t", D[dtype], shape, wire)
    for w in words:
        assert w in e.value.message


def contents(**fields):
    c = pb.InferTensorContents()
    for name, values in fields.items():
        getattr(c, name).extend(values)
    return c


@pytest.mark.parametrize(
    "dtype, field, values",
    [
        ("bool", "bool_contents", [True, False]),
        ("int8", "int_contents", [-128, 127]),
        ("int16", "int_contents", [-32768, 32767]),
        ("int32", "int_contents", [-(2**31), 2**31 - 1]),
        ("int64", "int64_contents", [-(2**63), 2**63 - 1]),
        ("uint8", "uint_contents", [0, 255]),
        ("uint16", "uint_contents", [0, 65535]),
        ("uint32", "uint_contents", [0, 2**32 - 1]),
        ("uint64", "uint64_contents", [0, 2**64 - 1]),
        ("float32", "fp32_contents", [0.5, -2.0]),
        ("float64", "fp64_contents", [0.1, 1e300]),
    ],
)
def test_typed_contents_round_trip(dtype, field, values):
    d = D[dtype]
    arr = codecs.decode_typed("t", d, [len(values)], contents(**{field: values}))
    assert arr.dtype == d.wire and arr.tolist() == values and arr.flags.writeable
    out = pb.InferTensorContents()
    codecs.fill_typed(d, arr, out)
    assert list(getattr(out, field)) == values


def test_typed_bytes_and_strings():
    c = contents(bytes_contents=[b"x", "\u00e9".encode()])
    assert codecs.decode_typed("t", D["string"], [2], c).tolist() == ["x", "\u00e9"]
    assert codecs.decode_typed("t", D["bytes"], [2], c).tolist() == [b"x", b"\xc3\xa9"]


@pytest.mark.parametrize(
    "dtype, c, words",
    [
        ("int8", contents(int_contents=[128, 0]), ["element 0 is 128, out of range for INT8 (-128..127)"]),
        ("uint8", contents(uint_contents=[0, 256]), ["element 1 is 256, out of range for UINT8"]),
        ("int16", contents(int_contents=[1, -40000]), ["out of range for INT16"]),
        ("float64", contents(fp32_contents=[1.0]), ["FP64 goes in contents.fp64_contents, got contents.fp32_contents"]),
        ("float64", contents(fp64_contents=[1.0, 2.0, 3.0]), ["shape [2] needs 2 elements, contents.fp64_contents has 3"]),
        ("float16", contents(fp32_contents=[1.0, 2.0]), ["FP16 has no typed contents field; send it in raw_input_contents"]),
        ("string", contents(bytes_contents=[b"\xff", b"a"]), ["element 0 is not valid UTF-8"]),
    ],
)
def test_typed_errors(dtype, c, words):
    with pytest.raises(InvalidInput) as e:
        codecs.decode_typed("t", D[dtype], [2], c)
    for w in words:
        assert w in e.value.message


def test_encode_converts_byte_order_and_layout():
    big_endian = np.array([1.0, 2.0], dtype=">f8")
    assert bytes(codecs.encode_raw(D["float64"], big_endian)) == np.array([1.0, 2.0], dtype="<f8").tobytes()
    strided = np.arange(6, dtype="<i4").reshape(2, 3).T
    assert bytes(codecs.encode_raw(D["int32"], strided)) == np.ascontiguousarray(strided).tobytes()


def test_manifest_dtype_names():
    for name, canonical, datatype in [
        ("float64", "float64", "FP64"),
        ("FP64", "float64", "FP64"),
        ("fp16", "float16", "FP16"),
        ("BOOL", "bool", "BOOL"),
        ("INT8", "int8", "INT8"),
        ("UINT64", "uint64", "UINT64"),
        ("string", "string", "BYTES"),
        ("str", "string", "BYTES"),
        ("BYTES", "bytes", "BYTES"),
        ("bytes", "bytes", "BYTES"),
    ]:
        d = dtypes.from_manifest(name)
        assert d is not None and (d.name, d.datatype) == (canonical, datatype), name
    assert dtypes.from_manifest("float") is None
    assert dtypes.from_manifest("datetime64") is None
