"""Model folders used by the runtime tests: {"manifest": yaml text, "files": {name: text}}."""

# Every datatype, as tensors; the model returns its inputs and checks what it got.
ALL_TYPES_TENSOR = {
    "manifest": """
        name: alltypes
        version: 2.0.1
        model: model:AllTypes
        kind: tensor
        max_batch: 1000
        inputs:
          - {name: b, dtype: bool, shape: [-1]}
          - {name: i8, dtype: int8, shape: [-1]}
          - {name: i16, dtype: int16, shape: [-1]}
          - {name: i32, dtype: INT32, shape: [-1]}
          - {name: i64, dtype: INT64, shape: [-1]}
          - {name: u8, dtype: uint8, shape: [-1]}
          - {name: u16, dtype: uint16, shape: [-1]}
          - {name: u32, dtype: uint32, shape: [-1]}
          - {name: u64, dtype: UINT64, shape: [-1]}
          - {name: f16, dtype: float16, shape: [-1]}
          - {name: f32, dtype: float32, shape: [-1, 3]}
          - {name: f64, dtype: FP64, shape: [-1]}
          - {name: s, dtype: string, shape: [-1]}
          - {name: by, dtype: BYTES, shape: [-1]}
        outputs:
          - {name: b, dtype: bool, shape: [-1]}
          - {name: i8, dtype: int8, shape: [-1]}
          - {name: i16, dtype: int16, shape: [-1]}
          - {name: i32, dtype: int32, shape: [-1]}
          - {name: i64, dtype: int64, shape: [-1]}
          - {name: u8, dtype: uint8, shape: [-1]}
          - {name: u16, dtype: uint16, shape: [-1]}
          - {name: u32, dtype: uint32, shape: [-1]}
          - {name: u64, dtype: uint64, shape: [-1]}
          - {name: f16, dtype: float16, shape: [-1]}
          - {name: f32, dtype: float32, shape: [-1, 3]}
          - {name: f64, dtype: float64, shape: [-1]}
          - {name: s, dtype: string, shape: [-1]}
          - {name: by, dtype: bytes, shape: [-1]}
        runtime: {base_image: python:3.11-slim}
    """,
    "files": {
        "model.py": """
            import numpy as np
            from pyml import TensorModel

            EXPECTED = {
                "b": np.bool_, "i8": np.int8, "i16": np.int16, "i32": np.int32, "i64": np.int64,
                "u8": np.uint8, "u16": np.uint16, "u32": np.uint32, "u64": np.uint64,
                "f16": np.float16, "f32": np.float32, "f64": np.float64,
            }


            class AllTypes(TensorModel):
                def predict(self, tensors):
                    for name, kind in EXPECTED.items():
                        arr = tensors[name]
                        assert isinstance(arr, np.ndarray) and arr.dtype == kind, (name, arr.dtype)
                        assert arr.flags.writeable and arr.flags.c_contiguous, name
                    assert all(isinstance(v, str) for v in tensors["s"]), "s must hold str"
                    assert all(isinstance(v, bytes) for v in tensors["by"]), "by must hold bytes"
                    return dict(tensors)
        """,
    },
}

# A DataFrame model that returns its input: columns of most dtypes.
FRAME_IDENTITY = {
    "manifest": """
        name: frame
        version: 0.1.0
        model: model:Identity
        kind: dataframe
        inputs:
          - {name: id, dtype: int64}
          - {name: x, dtype: float64}
          - {name: flag, dtype: bool}
          - {name: name, dtype: string}
          - {name: blob, dtype: bytes}
          - {name: small, dtype: int8}
          - {name: u, dtype: uint16}
          - {name: f, dtype: float32}
        outputs:
          - {name: id, dtype: int64}
          - {name: x, dtype: float64}
          - {name: flag, dtype: bool}
          - {name: name, dtype: string}
          - {name: blob, dtype: bytes}
          - {name: small, dtype: int8}
          - {name: u, dtype: uint16}
          - {name: f, dtype: float32}
    """,
    "files": {
        "model.py": """
            import pandas as pd
            from pyml import DataFrameModel


            class Identity(DataFrameModel):
                def predict(self, df: pd.DataFrame) -> pd.DataFrame:
                    assert isinstance(df, pd.DataFrame)
                    assert list(df.columns) == ["id", "x", "flag", "name", "blob", "small", "u", "f"], list(df.columns)
                    return df
        """,
    },
}

# A DataFrame model whose behaviour is chosen by its `mode` column.
FRAME_BEHAVIOURS = {
    "manifest": """
        name: behave
        version: "3"
        model: model:Behave
        kind: dataframe
        inputs:
          - {name: mode, dtype: string}
          - {name: x, dtype: float64}
        outputs:
          - {name: y, dtype: float64}
          - {name: label, dtype: string}
          - {name: count, dtype: int64}
    """,
    "files": {
        "helper.py": """
            def compute(value):
                if value > 40:
                    raise ValueError("bad value %d" % value)
                return value
        """,
        "model.py": """
            import sys

            import numpy as np
            import pandas as pd
            from pyml import DataFrameModel

            from helper import compute


            def recurse(n):
                return recurse(n + 1) + 1


            class Behave(DataFrameModel):
                def __init__(self):
                    self.scale = float(open(self.data_path("scale.txt")).read())

                def predict(self, df):
                    mode = df["mode"].iloc[0]
                    n = len(df)
                    good = pd.DataFrame({
                        "y": df["x"] * self.scale,
                        "label": ["r%d" % i for i in range(n)],
                        "count": np.arange(n, dtype=np.int64),
                    })
                    if mode == "ok":
                        return good
                    if mode == "raise":
                        compute(int(df["x"].iloc[0]))
                    if mode == "missing":
                        return good.drop(columns=["count"])
                    if mode == "extra":
                        return good.assign(zzz=1)
                    if mode == "dtype":
                        return good.assign(count=good["count"] + 0.5)
                    if mode == "nan_int":
                        return good.assign(count=np.where(np.arange(n) == 0, np.nan, 1.0))
                    if mode == "int32":
                        return good.assign(count=good["count"].astype("int32"))
                    if mode == "nullable":
                        count = pd.array([None] + list(range(1, n)), dtype="Int64")
                        label = [None] + ["v%d" % i for i in range(1, n)]
                        y = np.where(np.arange(n) == 0, np.nan, 1.0)
                        return pd.DataFrame({"y": y, "label": label, "count": count})
                    if mode == "string_dtype":
                        return good.assign(label=pd.array(["a"] * (n - 1) + [None], dtype="string"))
                    if mode == "not_frame":
                        return {"y": [1.0]}
                    if mode == "series":
                        return good["y"]
                    if mode == "recurse":
                        recurse(0)
                    if mode == "exit":
                        sys.exit(3)
                    if mode == "inplace":
                        df.loc[0, "x"] = 5.0
                        return good.assign(y=df["x"])
                    if mode == "bigmsg":
                        raise RuntimeError("x" * 20000)
                    if mode == "badstr":
                        return good.assign(label=5)
                    if mode == "mixed":
                        return good.assign(label=["a"] + [5] * (n - 1))
                    if mode == "reorder":
                        return good[["count", "label", "y"]]
                    if mode == "unicode":
                        return good.assign(label=["h\\u00e9llo \\u2603 \\U0001F600"] * n)
                    if mode == "aggregate":
                        return good.iloc[:1]
                    raise KeyError(mode)
        """,
        "data/scale.txt": "2.0\n",
    },
}

# A tensor model whose behaviour is chosen by its `mode` input.
TENSOR_BEHAVIOURS = {
    "manifest": """
        name: tcheck
        model: pkg.model:TCheck
        kind: tensor
        inputs:
          - {name: x, dtype: float32, shape: [-1, 2]}
          - {name: mode, dtype: string, shape: [1]}
        outputs:
          - {name: y, dtype: float32, shape: [-1, 2]}
          - {name: n, dtype: int64, shape: [-1]}
    """,
    "files": {
        "pkg/__init__.py": "",
        "pkg/model.py": """
            import numpy as np
            from pyml import TensorModel


            class TCheck(TensorModel):
                def predict(self, tensors):
                    x = tensors["x"]
                    mode = tensors["mode"][0]
                    x *= 2  # inputs are the model's own, writable
                    out = {"y": x, "n": np.arange(len(x), dtype=np.int64)}
                    if mode == "ok":
                        return out
                    if mode == "shape":
                        return {"y": np.zeros((len(x), 3), np.float32), "n": out["n"]}
                    if mode == "dtype64":
                        return {"y": x.astype(np.float64), "n": out["n"]}
                    if mode == "int32":
                        return {"y": x, "n": out["n"].astype(np.int32)}
                    if mode == "missing":
                        return {"y": x}
                    if mode == "extra":
                        return dict(out, z=np.zeros(1))
                    if mode == "notdict":
                        return [x]
                    if mode == "strn":
                        return {"y": x, "n": np.array(["a"] * len(x))}
                    if mode == "raise":
                        raise KeyError("k")
                    return out
        """,
    },
}


def identity_frame(name: str, columns, thread_safe: bool = False, extra: str = "") -> dict:
    """A DataFrame identity model over columns [(name, dtype)]."""
    cols = "\n".join("  - {name: %s, dtype: %s}" % c for c in columns)
    return {
        "manifest": "name: %s\nmodel: model:Identity\nkind: dataframe\nthread_safe: %s\n%sinputs:\n%s\noutputs:\n%s\n"
        % (name, "true" if thread_safe else "false", extra, cols, cols),
        "files": {
            "model.py": "from pyml import DataFrameModel\n\n\nclass Identity(DataFrameModel):\n"
            "    def predict(self, df):\n        return df\n"
        },
    }
