"""Health, metadata and the socket itself, against a real server."""

import os
import stat

import pytest
from v2client import RpcFailure

import pyml


def test_live_and_ready(tensor_server):
    c = tensor_server.client
    assert c.live() is True
    assert c.ready() is True
    assert c.model_ready("alltypes") is True
    assert c.model_ready("alltypes", "2.0.1") is True
    assert c.model_ready("") is True  # the only model


def test_readiness_line_on_stdout(tensor_server):
    assert "pyml: serving alltypes 2.0.1 on unix://%s" % tensor_server.socket in tensor_server.stdout()


def test_socket_is_owner_only(tensor_server):
    mode = os.stat(tensor_server.socket).st_mode
    assert stat.S_ISSOCK(mode)
    assert stat.S_IMODE(mode) == 0o600
    assert os.stat(tensor_server.socket).st_uid == os.getuid()


def test_unknown_model_and_version_are_not_found(tensor_server):
    c = tensor_server.client
    with pytest.raises(RpcFailure) as e:
        c.model_ready("churn")
    assert e.value.code.name == "NOT_FOUND"
    assert "'churn'" in e.value.details and "'alltypes'" in e.value.details
    with pytest.raises(RpcFailure) as e:
        c.model_metadata("alltypes", "9")
    assert e.value.code.name == "NOT_FOUND"
    assert "2.0.1" in e.value.details


def test_server_metadata(tensor_server):
    m = tensor_server.client.server_metadata()
    assert m.name == "pyml"
    assert m.version == pyml.__version__
    assert list(m.extensions) == ["model_repository"]


def test_tensor_model_metadata(tensor_server):
    m = tensor_server.client.model_metadata("alltypes")
    assert m.name == "alltypes"
    assert list(m.versions) == ["2.0.1"]
    assert m.platform == "pyml"
    assert m.parameters["kind"].string_param == "tensor"
    assert "content_type" not in m.parameters
    assert m.parameters["max_batch"].int64_param == 1000
    assert m.parameters["thread_safe"].bool_param is False
    got = [(t.name, t.datatype, list(t.shape)) for t in m.inputs]
    assert got == [
        ("b", "BOOL", [-1]),
        ("i8", "INT8", [-1]),
        ("i16", "INT16", [-1]),
        ("i32", "INT32", [-1]),
        ("i64", "INT64", [-1]),
        ("u8", "UINT8", [-1]),
        ("u16", "UINT16", [-1]),
        ("u32", "UINT32", [-1]),
        ("u64", "UINT64", [-1]),
        ("f16", "FP16", [-1]),
        ("f32", "FP32", [-1, 3]),
        ("f64", "FP64", [-1]),
        ("s", "BYTES", [-1]),
        ("by", "BYTES", [-1]),
    ]
    by_name = {t.name: t for t in m.inputs}
    assert by_name["s"].parameters["content_type"].string_param == "str"
    assert "content_type" not in by_name["by"].parameters
    assert by_name["s"].parameters["dtype"].string_param == "string"
    assert by_name["by"].parameters["dtype"].string_param == "bytes"
    assert [t.name for t in m.outputs] == [t.name for t in m.inputs]


def test_dataframe_model_metadata(frame_server):
    m = frame_server.client.model_metadata("frame")
    assert m.parameters["content_type"].string_param == "pd"
    assert m.parameters["kind"].string_param == "dataframe"
    assert [(t.name, t.datatype, list(t.shape)) for t in m.inputs][:4] == [
        ("id", "INT64", [-1]),
        ("x", "FP64", [-1]),
        ("flag", "BOOL", [-1]),
        ("name", "BYTES", [-1]),
    ]


def test_repository_index(frame_server):
    index = frame_server.client.repository_index()
    assert [(m.name, m.version, m.state) for m in index.models] == [("frame", "0.1.0", "READY")]


def test_unimplemented_rpc_answers_unimplemented(tensor_server):
    with pytest.raises(RpcFailure) as e:
        tensor_server.client.call_bytes("ModelStreamInfer", b"")
    assert e.value.code.name == "UNIMPLEMENTED"
