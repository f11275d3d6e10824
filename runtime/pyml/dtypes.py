"""Data types: the manifest's names, V2 datatypes and numpy dtypes.

Every manifest dtype maps to one `DType`: its canonical manifest name, its V2
datatype, the little-endian numpy dtype of its raw wire form, and the
InferTensorContents field of its typed wire form.
"""

from typing import Dict, Optional

import numpy as np


class DType:
    """One data type: manifest name, V2 datatype, raw wire dtype, typed contents field."""

    __slots__ = ("name", "datatype", "wire", "contents_field", "is_bytes", "is_text", "is_float", "is_integer")

    def __init__(self, name: str, datatype: str, wire: Optional[np.dtype], contents_field: Optional[str]) -> None:
        self.name = name  # canonical manifest name: float64, string ...
        self.datatype = datatype  # V2 datatype: FP64, BYTES ...
        self.wire = wire  # little-endian raw element type; None for BYTES
        self.contents_field = contents_field  # InferTensorContents field; None for FP16 (raw only)
        self.is_bytes = datatype == "BYTES"
        self.is_text = name == "string"
        self.is_float = datatype.startswith("FP")
        self.is_integer = datatype.startswith(("INT", "UINT"))

    def __repr__(self) -> str:
        return "DType(%s, %s)" % (self.name, self.datatype)


def _d(name: str, datatype: str, wire: Optional[str], field: Optional[str]) -> DType:
    return DType(name, datatype, np.dtype(wire) if wire else None, field)


_ALL = [
    _d("bool", "BOOL", "|b1", "bool_contents"),
    _d("int8", "INT8", "|i1", "int_contents"),
    _d("int16", "INT16", "<i2", "int_contents"),
    _d("int32", "INT32", "<i4", "int_contents"),
    _d("int64", "INT64", "<i8", "int64_contents"),
    _d("uint8", "UINT8", "|u1", "uint_contents"),
    _d("uint16", "UINT16", "<u2", "uint_contents"),
    _d("uint32", "UINT32", "<u4", "uint_contents"),
    _d("uint64", "UINT64", "<u8", "uint64_contents"),
    _d("float16", "FP16", "<f2", None),
    _d("float32", "FP32", "<f4", "fp32_contents"),
    _d("float64", "FP64", "<f8", "fp64_contents"),
    _d("string", "BYTES", None, "bytes_contents"),  # UTF-8 text, str in Python
    _d("bytes", "BYTES", None, "bytes_contents"),  # opaque bytes, bytes in Python
]

BY_NAME: Dict[str, DType] = {d.name: d for d in _ALL}

# Manifest spellings -> canonical name. V2 names are accepted in any case;
# BYTES means opaque bytes (use `string` for text).
MANIFEST_NAMES: Dict[str, str] = {d.name: d.name for d in _ALL}
MANIFEST_NAMES.update({d.datatype.lower(): d.name for d in _ALL if d.datatype != "BYTES"})
MANIFEST_NAMES.update({"bytes": "bytes", "str": "string"})

# V2 datatype -> the dtype used when a request names it (BYTES: bytes).
BY_DATATYPE: Dict[str, DType] = {d.datatype: d for d in _ALL if d.name != "string"}


def from_manifest(name: str) -> Optional[DType]:
    canonical = MANIFEST_NAMES.get(name.strip().lower())
    return BY_NAME[canonical] if canonical else None


def manifest_names_help() -> str:
    return (
        "bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, "
        "float16, float32, float64, string, bytes (or the V2 names BOOL, INT64, FP64, BYTES, ...)"
    )


def for_numpy(dtype: np.dtype) -> Optional[DType]:
    """The DType whose raw wire form holds this numpy dtype's values, if one does."""
    if dtype.kind in "OSU":
        return BY_NAME["string"] if dtype.kind in "OU" else BY_NAME["bytes"]
    for d in _ALL:
        if d.wire is not None and d.wire.kind == dtype.kind and d.wire.itemsize == dtype.itemsize:
            return d
    return None
