"""V2 tensor contents <-> numpy, value by value exactly as the wire format says.

Raw contents: the flattened, row-major tensor, little-endian, no padding; a
BYTES element is a 4-byte little-endian unsigned length then that many bytes.
Typed contents: the InferTensorContents field of the datatype (see dtypes.py).

Decoding raw numeric contents is numpy.frombuffer over the request buffer: no
per-value work. Every check names the input and says what was expected.
"""

import struct
from typing import Any, List, Optional, Sequence, Union, cast

import numpy as np

from .dtypes import DType
from .errors import InvalidInput

Buffer = Union[bytes, memoryview, "np.ndarray"]  # anything with the buffer protocol, C-contiguous

_LEN = struct.Struct("<I")
_INT_RANGES = {
    "INT8": (-(2**7), 2**7 - 1),
    "INT16": (-(2**15), 2**15 - 1),
    "UINT8": (0, 2**8 - 1),
    "UINT16": (0, 2**16 - 1),
}
_CONTENT_FIELDS = (
    "bool_contents",
    "int_contents",
    "int64_contents",
    "uint_contents",
    "uint64_contents",
    "fp32_contents",
    "fp64_contents",
    "bytes_contents",
)


def element_count(name: str, shape: Sequence[int]) -> int:
    if len(shape) == 1 and shape[0] >= 0:
        return shape[0]
    count = 1
    for d in shape:
        if d < 0:
            raise InvalidInput(name, "shape %s has a negative size; a request gives actual sizes" % list(shape))
        count *= d
    return count


# ---------------------------------------------------------------- decoding


def decode_raw(name: str, dtype: DType, shape: Sequence[int], raw: Buffer, flat: bool = False) -> "np.ndarray":
    """Raw contents -> array of `shape` (1-D when flat). Numeric arrays are read-only views of raw."""
    count = element_count(name, shape)
    if dtype.is_bytes:
        items = decode_bytes_elements(name, dtype, raw, count)
        return _object_array(items, (count,) if flat else shape)
    wire = dtype.wire
    assert wire is not None
    size = len(raw)
    if size != count * wire.itemsize:
        raise InvalidInput(
            name,
            "shape %s of %s needs %d bytes of raw contents (%d x %d), got %d"
            % (list(shape), dtype.datatype, count * wire.itemsize, count, wire.itemsize, size),
        )
    if dtype.datatype == "BOOL":
        octets = np.frombuffer(raw, dtype=np.uint8)
        if octets.size and octets.max() > 1:
            at = int(np.argmax(octets > 1))
            raise InvalidInput(name, "BOOL elements must be the bytes 0 or 1; element %d is %d" % (at, octets[at]))
    values = np.frombuffer(raw, dtype=wire)
    return values if flat or len(shape) == 1 else values.reshape(shape)


def decode_bytes_elements(name: str, dtype: DType, raw: Buffer, count: int) -> List[Any]:
    """Length-prefixed BYTES elements -> list of bytes (dtype bytes) or str (dtype string)."""
    view = raw if isinstance(raw, memoryview) else memoryview(raw)  # type: ignore[arg-type]
    size = len(view)
    out: List[Any] = [None] * count
    unpack = _LEN.unpack_from
    text = dtype.is_text
    pos = 0
    for i in range(count):
        if pos + 4 > size:
            raise InvalidInput(
                name,
                "raw BYTES contents end after %d of %d elements (shape says %d); each element is a "
                "4-byte little-endian length then the bytes" % (i, count, count),
            )
        (length,) = unpack(view, pos)
        pos += 4
        end = pos + length
        if end > size:
            raise InvalidInput(
                name, "BYTES element %d declares %d bytes but only %d remain in the raw contents" % (i, length, size - pos)
            )
        if text:
            try:
                out[i] = str(view[pos:end], "utf-8")
            except UnicodeDecodeError as e:
                raise InvalidInput(
                    name, "element %d is not valid UTF-8 (%s); string columns are UTF-8" % (i, e.reason)
                ) from None
        else:
            out[i] = bytes(view[pos:end])
        pos = end
    if pos != size:
        raise InvalidInput(
            name, "raw BYTES contents hold more than the %d elements of the shape (%d bytes left over)" % (count, size - pos)
        )
    return out


def decode_typed(name: str, dtype: DType, shape: Sequence[int], contents: Any) -> "np.ndarray":
    """InferTensorContents -> writable array of `shape`."""
    count = element_count(name, shape)
    used = [f for f in _CONTENT_FIELDS if len(getattr(contents, f))]
    expected = dtype.contents_field
    if expected is None:
        raise InvalidInput(name, "%s has no typed contents field; send it in raw_input_contents" % dtype.datatype)
    wrong = [f for f in used if f != expected]
    if wrong:
        raise InvalidInput(name, "datatype %s goes in contents.%s, got contents.%s" % (dtype.datatype, expected, wrong[0]))
    values = getattr(contents, expected)
    if len(values) != count:
        raise InvalidInput(
            name, "shape %s needs %d elements, contents.%s has %d" % (list(shape), count, expected, len(values))
        )
    if dtype.is_bytes:
        items = list(values)
        if dtype.is_text:
            for i, b in enumerate(items):
                try:
                    items[i] = b.decode("utf-8")
                except UnicodeDecodeError as e:
                    raise InvalidInput(
                        name, "element %d is not valid UTF-8 (%s); string columns are UTF-8" % (i, e.reason)
                    ) from None
        return _object_array(items, shape)
    assert dtype.wire is not None
    if dtype.datatype in _INT_RANGES:
        wide = np.array(values, dtype=np.int64)
        low, high = _INT_RANGES[dtype.datatype]
        bad = (wide < low) | (wide > high)
        if bad.any():
            at = int(np.argmax(bad))
            raise InvalidInput(
                name, "element %d is %d, out of range for %s (%d..%d)" % (at, wide[at], dtype.datatype, low, high)
            )
        return wide.astype(dtype.wire).reshape(shape)
    return np.array(values, dtype=dtype.wire).reshape(shape)


def _object_array(items: List[Any], shape: Sequence[int]) -> "np.ndarray":
    arr = np.empty(len(items), dtype=object)
    arr[:] = items
    return arr.reshape(shape)


# ---------------------------------------------------------------- encoding


def encode_raw(dtype: DType, values: Any) -> Buffer:
    """Array (checked: right dtype, no missing BYTES) -> raw contents, C order, little-endian.

    Numeric arrays come back as a contiguous array (a view when possible),
    which bytes.join and protobuf accept as a buffer.
    """
    if dtype.is_bytes:
        return encode_bytes_elements(values)
    if values.dtype is dtype.wire or values.dtype == dtype.wire:
        if values.flags.c_contiguous:
            return cast(Buffer, values)
    return np.ascontiguousarray(values, dtype=dtype.wire)


def encode_bytes_elements(values: Any) -> bytes:
    items = values.reshape(-1) if isinstance(values, np.ndarray) else values
    pack = _LEN.pack
    parts: List[bytes] = []
    append = parts.append
    for v in items:
        b = v.encode("utf-8") if isinstance(v, str) else bytes(v)
        append(pack(len(b)))
        append(b)
    return b"".join(parts)


def fill_typed(dtype: DType, values: Any, contents: Any) -> None:
    """Array -> the datatype's InferTensorContents field (FP16 has none: callers send raw)."""
    field = getattr(contents, dtype.contents_field or "")
    if dtype.is_bytes:
        items = values.reshape(-1) if isinstance(values, np.ndarray) else values
        field.extend(v.encode("utf-8") if isinstance(v, str) else bytes(v) for v in items)
    else:
        field.extend(np.asarray(values).reshape(-1).tolist())


def first_missing(values: "np.ndarray") -> Optional[int]:
    """Index of the first None/NaN/NA in an object array, or None."""
    for i, v in enumerate(values.reshape(-1)):
        if v is None or (isinstance(v, float) and v != v) or type(v).__name__ in ("NAType", "NaTType"):
            return i
    return None
