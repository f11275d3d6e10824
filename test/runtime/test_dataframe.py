"""DataFrame models: one tensor per column, content_type "pd", missing values."""

import numpy as np
import pytest
from v2client import Tensor, frame_tensors

ROWS = {
    "id": ("INT64", [1, -2, 3]),
    "x": ("FP64", [0.5, float("nan"), -1e300]),
    "flag": ("BOOL", [True, False, True]),
    "name": ("BYTES", ["ann", "", "z\u00fc"]),
    "blob": ("BYTES", [b"\x00", b"", b"\xff\xfe"]),
    "small": ("INT8", [-1, 0, 1]),
    "u": ("UINT16", [1, 2, 65535]),
    "f": ("FP32", [1.5, 2.5, -0.0]),
}


def check_identity(result):
    assert result.response.parameters["content_type"].string_param == "pd"
    predict_ms = result.response.parameters["pyml_predict_ms"]
    assert predict_ms.WhichOneof("parameter_choice") == "double_param" and 0 <= predict_ms.double_param < 60_000
    assert [t.name for t in result.response.outputs] == list(ROWS)
    for name, (dt, values) in ROWS.items():
        tensor = result.tensors[name]
        assert tensor.datatype == dt and list(tensor.shape) == [3], name
        got = result[name]
        if dt == "BYTES":
            assert got == [v.encode() if isinstance(v, str) else v for v in values], name
        else:
            np.testing.assert_array_equal(got, np.array(values, dtype=got.dtype), err_msg=name)
    assert result.tensors["name"].parameters["content_type"].string_param == "str"
    assert "content_type" not in result.tensors["blob"].parameters


def test_dataframe_round_trip_raw(frame_server):
    check_identity(frame_server.client.infer("frame", frame_tensors(ROWS), parameters={"content_type": "pd"}))


def test_dataframe_round_trip_typed(frame_server):
    result = frame_server.client.infer("frame", frame_tensors(ROWS), raw=False, parameters={"content_type": "pd"})
    assert not result.raw
    check_identity(result)


def test_columns_in_any_order_and_shape_rows_by_one(frame_server):
    tensors = list(reversed(frame_tensors(ROWS)))
    for t in tensors:
        t.shape = [3, 1]
    check_identity(frame_server.client.infer("frame", tensors))


def test_zero_rows(frame_server):
    empty = {name: (dt, []) for name, (dt, _) in ROWS.items()}
    result = frame_server.client.infer("frame", frame_tensors(empty))
    assert all(list(t.shape) == [0] for t in result.response.outputs)


def with_validity(columns, validity):
    tensors = frame_tensors(columns)
    for name, valid in validity.items():
        tensors.append(Tensor(name + ":valid", "BOOL", [len(valid)], valid, {"validity_of": name}))
    return tensors


@pytest.mark.parametrize("raw", [True, False])
def test_missing_values_in_and_out(frame_server, raw):
    valid = [True, False, True]
    tensors = with_validity(ROWS, {"id": valid, "flag": valid, "name": valid, "blob": valid, "x": valid, "u": valid})
    result = frame_server.client.infer("frame", tensors, raw=raw)
    names = [t.name for t in result.response.outputs]
    # Columns whose dtype cannot hold a missing value come back with a companion.
    assert names == ["id", "id:valid", "x", "flag", "flag:valid", "name", "name:valid", "blob", "blob:valid", "small", "u", "u:valid", "f"]
    for column in ["id", "flag", "name", "blob", "u"]:
        companion = result.tensors[column + ":valid"]
        assert companion.datatype == "BOOL"
        assert companion.parameters["validity_of"].string_param == column
        assert list(result[column + ":valid"]) == valid
    assert list(result["id"]) == [1, 0, 3]  # the missing row holds 0
    assert result["name"] == [b"ann", b"", "z\u00fc".encode()]
    assert list(result["flag"]) == [True, False, True]
    x = result["x"]
    assert x[0] == 0.5 and np.isnan(x[1]) and x[2] == -1e300  # float: NaN, no companion


def test_model_sees_nullable_columns(behave_server, models_root):
    # behave's `nullable` mode returns Int64 / object-with-None / NaN columns.
    result = behave_server.client.infer("behave", frame_tensors({"mode": ("BYTES", ["nullable"] * 3), "x": ("FP64", [1, 2, 3])}))
    names = [t.name for t in result.response.outputs]
    assert names == ["y", "label", "label:valid", "count", "count:valid"]
    assert np.isnan(result["y"][0]) and list(result["y"][1:]) == [1.0, 1.0]
    assert list(result["label:valid"]) == [False, True, True]
    assert result["label"] == [b"", b"v1", b"v2"]
    assert list(result["count"]) == [0, 1, 2]
    assert list(result["count:valid"]) == [False, True, True]


def run(server, mode, x=(1.0, 2.0, 3.0), **kwargs):
    n = len(x)
    return server.client.infer("behave", frame_tensors({"mode": ("BYTES", [mode] * n), "x": ("FP64", list(x))}), **kwargs)


def test_model_output_ok(behave_server):
    result = run(behave_server, "ok", request_id="abc")
    assert result.response.id == "abc"
    assert list(result["y"]) == [2.0, 4.0, 6.0]  # scale read from data/scale.txt in __init__
    assert result["label"] == [b"r0", b"r1", b"r2"]
    assert list(result["count"]) == [0, 1, 2]
    assert result.tensors["count"].datatype == "INT64"


def test_output_columns_in_manifest_order(behave_server):
    result = run(behave_server, "reorder")
    assert [t.name for t in result.response.outputs] == ["y", "label", "count"]
    assert list(result["count"]) == [0, 1, 2]


def test_lossless_cast_of_outputs(behave_server):
    result = run(behave_server, "int32")
    assert result.tensors["count"].datatype == "INT64"
    assert list(result["count"]) == [0, 1, 2]


def test_string_dtype_output_with_missing(behave_server):
    result = run(behave_server, "string_dtype")
    assert result["label"] == [b"a", b"a", b""]
    assert list(result["label:valid"]) == [True, True, False]


def test_unicode_strings(behave_server):
    result = run(behave_server, "unicode")
    assert result["label"][0].decode("utf-8") == "h\u00e9llo \u2603 \U0001F600"


def test_output_row_count_may_differ(behave_server):
    result = run(behave_server, "aggregate")
    assert list(result.tensors["y"].shape) == [1]


@pytest.mark.parametrize("rows", [3, 100_000])
def test_input_frame_is_writable(behave_server, rows):
    result = run(behave_server, "inplace", x=np.arange(rows, dtype=float))
    assert result["y"][0] == 5.0 and len(result["y"]) == rows


def test_large_frame_round_trip(sock_root, start_server, models_root):
    from conftest import write_model
    from models import identity_frame

    spec = identity_frame("wide", [("c%d" % i, "float64") for i in range(8)] + [("s", "string"), ("k", "int32")])
    folder = write_model(models_root / "wide", spec["manifest"], spec["files"])
    server = start_server(folder)
    n = 100_000
    rng = np.random.default_rng(1)
    cols = {"c%d" % i: ("FP64", rng.random(n)) for i in range(8)}
    cols["s"] = ("BYTES", ["row%d" % i for i in range(n)])
    cols["k"] = ("INT32", np.arange(n, dtype=np.int32))
    result = server.client.infer("wide", frame_tensors(cols))
    for i in range(8):
        assert result["c%d" % i].tobytes() == cols["c%d" % i][1].tobytes()
    assert result["s"][-1] == b"row%d" % (n - 1)
    assert result["k"].tobytes() == cols["k"][1].tobytes()


@pytest.mark.parametrize("rows", [2, 200_000])
def test_one_dtype_frame_is_one_writable_block(start_server, models_root, rows):
    from conftest import write_model

    cols = "\n".join("  - {name: c%d, dtype: float32}" % i for i in range(4))
    manifest = "name: block\nmodel: model:Block\nkind: dataframe\ninputs:\n%s\noutputs:\n%s\n" % (cols, cols)
    code = (
        "from pyml import DataFrameModel\n\n\nclass Block(DataFrameModel):\n"
        "    def predict(self, df):\n"
        "        assert len(df._mgr.blocks) == 1, 'one 2-D block'\n"
        "        df.iloc[0, 0] = 42.0  # in place: the frame is the model's own\n"
        "        return df[['c3', 'c2', 'c1', 'c0']]\n"
    )
    server = start_server(write_model(models_root / ("block%d" % rows), manifest, {"model.py": code}))
    data = {"c%d" % i: ("FP32", np.arange(rows, dtype=np.float32) + i) for i in range(4)}
    result = server.client.infer("block", frame_tensors(data))
    assert [t.name for t in result.response.outputs] == ["c0", "c1", "c2", "c3"]
    assert result["c0"][0] == 42.0 and result["c0"][1] == 1.0
    for i in range(1, 4):
        assert result["c%d" % i].tobytes() == data["c%d" % i][1].tobytes()
