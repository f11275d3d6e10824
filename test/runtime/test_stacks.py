"""The numpy / pandas behaviours the codecs rely on, pinned on every stack the
runtime layer runs on: Debian 12 (Python 3.11, numpy 1.24, pandas 1.5) on the
host and Debian 13 (Python 3.13, numpy 2.2, pandas 2.2) in pyml-base:trixie.

Each library behaviour is pinned twice: what the library does (so a change in
a new numpy/pandas shows up here, named), and what a model sees and answers
over a real server when it meets it.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import _session_server, write_model
from v2client import Tensor, frame_tensors

from pyml import dtypes, frames
from pyml.manifest import TensorSpec

STACK_FRAME = {
    "manifest": """
        name: stack
        model: model:Stack
        kind: dataframe
        inputs:
          - {name: mode, dtype: string}
          - {name: x, dtype: float64}
          - {name: i, dtype: int64}
          - {name: s, dtype: string}
        outputs:
          - {name: f, dtype: float64}
          - {name: i, dtype: int64}
          - {name: s, dtype: string}
          - {name: b, dtype: bool}
          - {name: u8, dtype: uint8}
    """,
    "files": {
        "model.py": """
            import numpy as np
            import pandas as pd
            from pyml import DataFrameModel


            class Stack(DataFrameModel):
                def predict(self, df):
                    mode = df["mode"].iloc[0] if len(df) else "empty"
                    n = len(df)
                    if mode == "empty":
                        # Untyped empty columns: pd.Series([]) is object on pandas 2 (float64 on 1.5),
                        # a column from an empty list is float64 on both.
                        return pd.DataFrame({"f": pd.Series([], dtype=object), "i": [], "s": pd.Series([], dtype=object), "b": [], "u8": []})
                    if mode == "nullable":
                        return pd.DataFrame({
                            "f": pd.array([1.5, None, 3.0][:n], dtype="Float64"),
                            "i": pd.array([7, None, -7][:n], dtype="Int64"),
                            "s": pd.array(["a", None, "c"][:n], dtype="string"),
                            "b": pd.array([True, None, False][:n], dtype="boolean"),
                            "u8": pd.array([1, None, 255][:n], dtype="UInt8"),
                        })
                    if mode == "nan":
                        return pd.DataFrame({
                            "f": df["x"] * 2,
                            "i": np.arange(n, dtype=np.int64),
                            "s": df["s"].fillna("-"),
                            "b": df["x"].isna(),
                            "u8": np.full(n, 8, dtype=np.uint8),
                        })
                    if mode == "bigendian":
                        return pd.DataFrame({
                            "f": np.arange(n, dtype=">f8") + 0.25,
                            "i": np.arange(n, dtype=">i8") - 2,
                            "s": ["be"] * n,
                            "b": np.ones(n, dtype=bool),
                            "u8": np.arange(n, dtype=">u2").astype(">u1"),
                        })
                    if mode == "dtypes":
                        seen = "%s|%s|%s|%s" % (df["x"].dtype, df["i"].dtype, df["s"].dtype, type(df["s"].iloc[1]).__name__)
                        return pd.DataFrame({
                            "f": df["x"], "i": df["i"].fillna(0).astype("int64"), "s": [seen] * n,
                            "b": df["i"].isna().to_numpy(), "u8": np.zeros(n, dtype=np.uint8),
                        })
                    raise ValueError("unknown mode %r" % mode)
        """,
    },
}

BIG_ENDIAN_TENSOR = {
    "manifest": """
        name: bigend
        model: model:BigEndian
        kind: tensor
        inputs:
          - {name: x, dtype: float32, shape: [-1, 2]}
        outputs:
          - {name: y, dtype: float32, shape: [-1, 2]}
          - {name: n, dtype: int64, shape: [-1]}
    """,
    "files": {
        "model.py": """
            import numpy as np
            from pyml import TensorModel


            class BigEndian(TensorModel):
                def predict(self, tensors):
                    x = tensors["x"]
                    assert x.dtype == np.dtype("<f4") and x.flags.writeable, (x.dtype, x.flags)
                    return {"y": (x * 2).astype(">f4"), "n": np.arange(len(x), dtype=">i4")}
        """,
    },
}


@pytest.fixture(scope="module")
def stack_server(sock_root, models_root):
    yield from _session_server(sock_root, models_root, "stack", STACK_FRAME)


def rows(mode, n=3, x=(0.5, float("nan"), -2.0), i=(1, 2, 3), s=("p", "q", "r")):
    return frame_tensors({
        "mode": ("BYTES", [mode] * n),
        "x": ("FP64", list(x)[:n]),
        "i": ("INT64", list(i)[:n]),
        "s": ("BYTES", list(s)[:n]),
    })


def validity(result, name):
    """The companion BOOL output of a column, or None."""
    for t in result.response.outputs:
        if t.parameters["validity_of"].string_param == name:
            return list(result[t.name])
    return None


# ------------------------------------------------------------ the libraries themselves


def test_empty_column_dtype_of_each_pandas():
    # pd.Series([]) changed: float64 on pandas 1.x (with a warning), object on 2.x. A frame column
    # from an empty list is float64 on both. So the answer codec takes an empty float64 or object
    # column as zero rows of any declared dtype.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert pd.Series([]).dtype == (np.float64 if pd.__version__.startswith("1.") else object)
    assert pd.DataFrame({"c": []})["c"].dtype == np.float64


def test_nullable_arrays_give_what_the_output_codec_reads():
    ints = pd.array([7, None], dtype="Int64")
    assert ints.dtype.kind == "i" and ints.dtype.numpy_dtype == np.int64
    assert ints.to_numpy(dtype=ints.dtype.numpy_dtype, na_value=0).tolist() == [7, 0]
    assert np.asarray(pd.isna(ints), dtype=bool).tolist() == [False, True]
    flags = pd.array([True, None], dtype="boolean")
    assert flags.dtype.kind == "b" and flags.to_numpy(dtype=flags.dtype.numpy_dtype, na_value=False).tolist() == [True, False]
    floats = pd.array([1.5, None], dtype="Float64")
    assert floats.dtype.kind == "f"
    assert np.isnan(floats.to_numpy(dtype="float64", na_value=np.nan)[1])
    text = pd.array(["a", None], dtype="string")
    assert isinstance(text.dtype, pd.StringDtype) and text.dtype.storage == "python"  # no pyarrow on Debian
    objects = np.asarray(text, dtype=object)
    assert objects[0] == "a" and objects[1] is pd.NA


def test_nullable_input_arrays_are_built_with_the_public_constructors():
    ints = pd.arrays.IntegerArray(np.array([1, 0], dtype=np.int64), np.array([False, True]))
    assert str(ints.dtype) == "Int64" and ints[1] is pd.NA
    flags = pd.arrays.BooleanArray(np.array([True, False]), np.array([False, True]))
    assert str(flags.dtype) == "boolean" and flags[1] is pd.NA


def test_byte_order_is_a_dtype_method_on_numpy_1_and_2():
    # numpy 2 removed ndarray.newbyteorder; dtype.newbyteorder stays, and is what the codecs use.
    big = np.arange(3, dtype=">i4")
    assert big.dtype.newbyteorder("=") == np.dtype("=i4")
    assert big.astype(big.dtype.newbyteorder("=")).tolist() == [0, 1, 2]
    assert np.can_cast(np.dtype(">f8"), np.dtype("<f8"), casting="safe")
    assert not np.can_cast(np.float64, np.float32, casting="safe")


def test_the_fast_frame_paths_hold_on_this_pandas():
    # One 2-D block in and out, through pandas internals, checked against the public constructor.
    assert frames._one_block_constructor() is not None, "pandas internals changed: requests take the slow path"
    specs = [TensorSpec(name, dtypes.BY_NAME["float64"], (-1,)) for name in ("a", "b")]
    layout = frames.FrameLayout(specs, specs)
    frame = layout.build({"a": np.array([1.0, 2.0]), "b": np.array([3.0, float("nan")])}, {}, 2)
    assert list(frame.dtypes) == [np.float64, np.float64] and len(frame._mgr.blocks) == 1
    frame.iloc[0, 0] = 9.0  # the model's own, writable
    out = layout._split_one_block(frame)
    assert out is not None, "pandas internals changed: answers take the slow path"
    assert out[0][1].tolist() == [9.0, 2.0] and np.isnan(out[1][1][1])


# ------------------------------------------------------------ what a model sees and answers


def test_nullable_columns_in_an_answer_travel_with_companions(stack_server):
    result = stack_server.client.infer("stack", rows("nullable"))
    assert result["f"][0] == 1.5 and np.isnan(result["f"][1]) and result["f"][2] == 3.0
    assert validity(result, "f") is None  # NaN is a float column's missing value
    assert list(result["i"]) == [7, 0, -7] and validity(result, "i") == [True, False, True]
    assert result["s"] == [b"a", b"", b"c"] and validity(result, "s") == [True, False, True]
    assert list(result["b"]) == [True, False, False] and validity(result, "b") == [True, False, True]
    assert list(result["u8"]) == [1, 0, 255] and validity(result, "u8") == [True, False, True]


def test_nan_in_a_float_column_stays_nan_both_ways(stack_server):
    result = stack_server.client.infer("stack", rows("nan"))
    assert result["f"][0] == 1.0 and np.isnan(result["f"][1]) and result["f"][2] == -4.0
    assert list(result["b"]) == [False, True, False]
    assert all(validity(result, c) is None for c in ("f", "i", "s", "b", "u8"))


def test_input_dtypes_with_missing_values(stack_server):
    tensors = rows("dtypes")
    tensors.append(Tensor("i:valid", "BOOL", [3], [True, False, True], {"validity_of": "i"}))
    tensors.append(Tensor("s:valid", "BOOL", [3], [True, False, True], {"validity_of": "s"}))
    result = stack_server.client.infer("stack", tensors)
    # float64 with NaN, nullable Int64, an object column with None for the missing string.
    assert result["s"][0] == b"float64|Int64|object|NoneType"
    assert list(result["i"]) == [1, 0, 3] and list(result["b"]) == [False, True, False]


def test_big_endian_answer_columns_go_out_little_endian(stack_server):
    result = stack_server.client.infer("stack", rows("bigendian"))
    assert list(result["f"]) == [0.25, 1.25, 2.25]
    assert list(result["i"]) == [-2, -1, 0]
    assert list(result["u8"]) == [0, 1, 2]


@pytest.mark.parametrize("raw", [True, False])
def test_empty_object_columns_answer_zero_rows_of_any_dtype(stack_server, raw):
    result = stack_server.client.infer("stack", rows("empty", n=0), raw=raw)
    assert [t.name for t in result.response.outputs] == ["f", "i", "s", "b", "u8"]
    assert all(list(t.shape) == [0] for t in result.response.outputs)
    assert [t.datatype for t in result.response.outputs] == ["FP64", "INT64", "BYTES", "BOOL", "UINT8"]


def test_big_endian_tensors_go_out_little_endian(models_root, start_server):
    server = start_server(write_model(models_root / "bigend", BIG_ENDIAN_TENSOR["manifest"], BIG_ENDIAN_TENSOR["files"]))
    result = server.client.infer("bigend", [Tensor("x", "FP32", [2, 2], [[1.0, 2.0], [3.0, -4.5]])])
    assert np.asarray(result["y"]).reshape(-1).tolist() == [2.0, 4.0, 6.0, -9.0]
    assert list(result["n"]) == [0, 1]
    assert [t.datatype for t in result.response.outputs] == ["FP32", "INT64"]
