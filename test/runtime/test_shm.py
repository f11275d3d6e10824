"""System shared memory (Triton's extension, pyml/shm.py) against real servers over real sockets:
register / status / unregister, inputs read from and outputs written to a region, refusals that
name what and where, and a region registered through one server process used by another."""

import os
import shutil
import tempfile
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import numpy as np
import pytest
from conftest import write_model
from v2client import RpcFailure, Tensor, build_request, encode_raw, frame_tensors

import models
from pyml.proto import grpc_predict_v2_pb2 as pb

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


@pytest.fixture
def shm_dir() -> Iterator[Path]:
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    folder = Path(tempfile.mkdtemp(prefix="pyml-shm-test-", dir=base))
    os.chmod(folder, 0o700)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def frame_shm(start_server, models_root: Path, shm_dir: Path):
    folder = write_model(models_root / "frame_shm", models.FRAME_IDENTITY["manifest"], models.FRAME_IDENTITY["files"])
    return start_server(folder, env={"PYML_SHM_DIR": str(shm_dir)})


def make_key(shm_dir: Path, name: str, size: int) -> str:
    path = shm_dir / name
    with open(os.open(str(path), os.O_RDWR | os.O_CREAT, 0o600), "wb") as f:
        f.truncate(size)
    return "/" + name


def register(client, name: str, key: str, offset: int, byte_size: int) -> None:
    client.call(
        "SystemSharedMemoryRegister",
        pb.SystemSharedMemoryRegisterRequest(name=name, key=key, offset=offset, byte_size=byte_size),
        pb.SystemSharedMemoryRegisterResponse,
    )


def status(client, name: str = "") -> Dict[str, Tuple[str, int, int]]:
    r = client.call("SystemSharedMemoryStatus", pb.SystemSharedMemoryStatusRequest(name=name), pb.SystemSharedMemoryStatusResponse)
    return {k: (v.key, v.offset, v.byte_size) for k, v in r.regions.items()}


def unregister(client, name: str = "") -> None:
    client.call(
        "SystemSharedMemoryUnregister", pb.SystemSharedMemoryUnregisterRequest(name=name), pb.SystemSharedMemoryUnregisterResponse
    )


def shm_params(target, region: str, offset: int, size: int) -> None:
    target["shared_memory_region"].string_param = region
    target["shared_memory_offset"].int64_param = offset
    target["shared_memory_byte_size"].int64_param = size


def put_inputs(shm_dir: Path, key: str, region_offset: int, columns: Dict[str, Tuple[str, list]]) -> Tuple[List[Tuple[str, int, int]], int]:
    """Writes each column's raw bytes into the key's file, one after the other; returns (name, offset, size) in the region."""
    placed = []
    at = 0
    with open(shm_dir / key.lstrip("/"), "r+b") as f:
        for name, (dt, values) in columns.items():
            data = encode_raw(dt, values)
            f.seek(region_offset + at)
            f.write(data)
            placed.append((name, at, len(data)))
            at += len(data)
    return placed, at


def shm_request(columns, placed, region: str, outputs: List[Tuple[str, int, int]] = ()):
    request = build_request("frame", frame_tensors(columns), parameters={"content_type": "pd"})
    del request.raw_input_contents[:]
    for tensor, (_, offset, size) in zip(request.inputs, placed):
        shm_params(tensor.parameters, region, offset, size)
    for name, offset, size in outputs:
        shm_params(request.outputs.add(name=name).parameters, region, offset, size)
    return request


def infer_shm(client, request):
    """ModelInfer whose outputs may be in shared memory: the response message, undecoded."""
    return client.call("ModelInfer", request, pb.ModelInferResponse, 60)


def read_region(shm_dir: Path, key: str, at: int, size: int) -> bytes:
    with open(shm_dir / key.lstrip("/"), "rb") as f:
        f.seek(at)
        return f.read(size)


def expect_invalid(call, *fragments: str) -> str:
    with pytest.raises(RpcFailure) as e:
        call()
    assert e.value.code.name == "INVALID_ARGUMENT", (e.value.code, e.value.details)
    for fragment in fragments:
        assert fragment in e.value.details, (fragment, e.value.details)
    return e.value.details


# ---------------------------------------------------------------- the RPCs


def test_metadata_lists_the_extension_and_status_starts_empty(frame_shm):
    assert "system_shared_memory" in frame_shm.client.server_metadata().extensions
    assert status(frame_shm.client) == {}


def test_register_status_unregister(frame_shm, shm_dir):
    c = frame_shm.client
    key = make_key(shm_dir, "k1", 4096)
    register(c, "in", key, 0, 1024)
    register(c, "out", key, 1024, 3072)
    assert status(c) == {"in": ("/k1", 0, 1024), "out": ("/k1", 1024, 3072)}
    assert status(c, "out") == {"out": ("/k1", 1024, 3072)}
    expect_invalid(lambda: register(c, "in", key, 0, 16), "region 'in' is already registered")
    unregister(c, "in")
    assert list(status(c)) == ["out"]
    with pytest.raises(RpcFailure) as e:
        status(c, "in")
    assert e.value.code.name == "NOT_FOUND" and "'in'" in e.value.details
    unregister(c)
    assert status(c) == {}
    unregister(c, "never-registered")  # unregistering is idempotent


def test_register_refuses_keys_outside_the_folder_and_bad_sizes(frame_shm, shm_dir):
    c = frame_shm.client
    key = make_key(shm_dir, "k2", 100)
    outside = shm_dir.parent / ("pyml-outside-%d" % os.getpid())
    outside.write_bytes(b"x" * 100)
    os.symlink(str(outside), str(shm_dir / "link"))
    try:
        for bad in ("../" + outside.name, "/a/b", "/.pyml-regions", "", "/" + "x" * 300):
            expect_invalid(lambda: register(c, "r", bad, 0, 10), "key '%s'" % bad)
        expect_invalid(lambda: register(c, "r", "/link", 0, 10), "key '/link' is a symbolic link")
        expect_invalid(lambda: register(c, "r", "/missing", 0, 10), "key '/missing': no such shared-memory object")
        expect_invalid(lambda: register(c, "r", key, 60, 41), "offset 60 + byte_size 41 = 101 is past the end of key '/k2' (100 bytes)")
        expect_invalid(lambda: register(c, "r", key, 0, 0), "byte_size must be over 0")
        expect_invalid(lambda: register(c, "", key, 0, 10), "needs a name")
        assert status(c) == {}
    finally:
        outside.unlink()


def test_without_a_folder_the_extension_is_off(start_server, models_root):
    folder = write_model(models_root / "frame_noshm", models.FRAME_IDENTITY["manifest"], models.FRAME_IDENTITY["files"])
    server = start_server(folder, env={"PYML_SHM_DIR": ""})
    assert "system_shared_memory" not in server.client.server_metadata().extensions
    with pytest.raises(RpcFailure) as e:
        register(server.client, "r", "/k", 0, 10)
    assert e.value.code.name == "FAILED_PRECONDITION" and "PYML_SHM_DIR" in e.value.details


# ---------------------------------------------------------------- inference


def test_round_trip_every_column_in_and_out_of_shared_memory(frame_shm, shm_dir):
    c = frame_shm.client
    key = make_key(shm_dir, "data", 8192)
    register(c, "io", key, 512, 4096)  # a region that starts inside its file
    placed, used = put_inputs(shm_dir, key, 512, ROWS)
    outs = [(name, 2048 + offset, size) for name, offset, size in placed]
    response = infer_shm(c, shm_request(ROWS, placed, "io", outs))
    assert list(response.raw_output_contents) == [b""] * len(ROWS)
    for (name, offset, size), tensor in zip(outs, response.outputs):
        assert tensor.name == name
        assert tensor.parameters["shared_memory_region"].string_param == "io"
        assert tensor.parameters["shared_memory_offset"].int64_param == offset
        assert tensor.parameters["shared_memory_byte_size"].int64_param == size
        expected = encode_raw(ROWS[name][0], ROWS[name][1])
        assert read_region(shm_dir, key, 512 + offset, size) == expected, name


@pytest.mark.parametrize("workers", [1, 2])
def test_big_float_frame_round_trip_is_bit_for_bit(start_server, models_root, shm_dir, workers):
    """With 2 workers the supervisor forwards the registrations, and either worker reads them."""
    spec = {
        "manifest": "name: wide\nversion: 1.0.0\nmodel: model:Identity\nkind: dataframe\ninputs:\n"
        + "".join("  - {name: c%d, dtype: float64}\n" % i for i in range(8))
        + "outputs:\n"
        + "".join("  - {name: c%d, dtype: float64}\n" % i for i in range(8)),
        "files": {"model.py": "from pyml import DataFrameModel\n\nclass Identity(DataFrameModel):\n    def predict(self, df):\n        return df\n"},
    }
    folder = write_model(models_root / ("wide%d" % workers), spec["manifest"], spec["files"])
    server = start_server(folder, "--workers", str(workers), env={"PYML_SHM_DIR": str(shm_dir)})
    rows = 200_000
    rng = np.random.default_rng(7)
    columns = {"c%d" % i: ("FP64", rng.standard_normal(rows)) for i in range(8)}
    size = rows * 8
    key = make_key(shm_dir, "wide", 2 * 8 * size)
    register(server.client, "in", key, 0, 8 * size)
    register(server.client, "out", key, 8 * size, 8 * size)
    placed, _ = put_inputs(shm_dir, key, 0, columns)
    request = build_request("wide", frame_tensors(columns), parameters={"content_type": "pd"})
    del request.raw_input_contents[:]
    for tensor, (_, offset, n) in zip(request.inputs, placed):
        shm_params(tensor.parameters, "in", offset, n)
    for name, offset, n in placed:
        shm_params(request.outputs.add(name=name).parameters, "out", offset, n)
    assert sorted(status(server.client)) == ["in", "out"]
    for _ in range(2 * workers):  # the main address spreads requests: each worker takes one
        infer_shm(server.client, request)
    for name, offset, n in placed:
        got = np.frombuffer(read_region(shm_dir, key, 8 * size + offset, n), dtype="<f8")
        assert got.tobytes() == columns[name][1].astype("<f8").tobytes(), name


def test_inputs_mixed_with_raw_contents_and_outputs_inline(frame_shm, shm_dir):
    c = frame_shm.client
    key = make_key(shm_dir, "mixed", 4096)
    register(c, "m", key, 0, 4096)
    in_shm = {k: ROWS[k] for k in ("x", "name", "f")}
    placed, _ = put_inputs(shm_dir, key, 0, in_shm)
    where = {name: (offset, size) for name, offset, size in placed}
    request = build_request("frame", frame_tensors(ROWS), parameters={"content_type": "pd"})
    del request.raw_input_contents[:]
    for tensor in request.inputs:
        if tensor.name in where:
            shm_params(tensor.parameters, "m", *where[tensor.name])
        else:
            request.raw_input_contents.append(encode_raw(*ROWS[tensor.name]))
    result = c.infer_request(request)
    for name, (dt, values) in ROWS.items():
        got = result[name]
        if dt == "BYTES":
            assert got == [v.encode() if isinstance(v, str) else v for v in values], name
        else:
            np.testing.assert_array_equal(got, np.array(values, dtype=got.dtype), err_msg=name)


# ---------------------------------------------------------------- refusals


def test_bad_regions_offsets_and_sizes_are_invalid_argument(frame_shm, shm_dir):
    c = frame_shm.client
    key = make_key(shm_dir, "bad", 4096)
    register(c, "small", key, 0, 64)
    register(c, "big", key, 1024, 2048)
    placed, _ = put_inputs(shm_dir, key, 1024, ROWS)

    def infer(request):
        return lambda: c.infer_request(request)

    r = shm_request(ROWS, placed, "nowhere")
    expect_invalid(infer(r), "input 'id'", "region 'nowhere' is not registered")

    r = shm_request(ROWS, placed, "small")
    expect_invalid(infer(r), "input", "outside region 'small' (64 bytes)")

    wrong = [(n, o, s + 1 if n == "x" else s) for n, o, s in placed]
    r = shm_request(ROWS, wrong, "big")
    expect_invalid(infer(r), "input 'x'", "shape [3] of FP64 takes 24 bytes (3 x 8)", "shared_memory_byte_size is 25 in region 'big'")

    r = shm_request(ROWS, placed, "big", [("x", 0, 23)])
    expect_invalid(infer(r), "output 'x': needs 24 bytes", "shared_memory_byte_size is 23 in region 'big'")

    r = shm_request(ROWS, placed, "big", [("x", 1900, 24), ("id", 1910, 24)])
    expect_invalid(infer(r), "output 'id': bytes 1910..1934 of region 'big' overlap those of output 'x' (1900..1924)")

    r = shm_request(ROWS, placed, "big")
    r.inputs[0].parameters["shared_memory_offset"].string_param = "zero"
    expect_invalid(infer(r), "input 'id': parameter shared_memory_offset must be an int64_param, got string_param")

    r = shm_request(ROWS, placed, "big")
    del r.inputs[1].parameters["shared_memory_region"]
    expect_invalid(infer(r), "input 'x': shared_memory_offset without shared_memory_region")

    r = shm_request(ROWS, placed, "big")
    r.inputs[2].parameters["shared_memory_byte_size"].int64_param = -3
    expect_invalid(infer(r), "input 'flag': shared_memory_byte_size is -3")

    # The server keeps serving.
    assert c.infer("frame", frame_tensors(ROWS), parameters={"content_type": "pd"})["id"].tolist() == [1, -2, 3]


def test_a_truncated_region_file_is_refused_not_a_crash(frame_shm, shm_dir):
    c = frame_shm.client
    key = make_key(shm_dir, "shrink", 4096)
    register(c, "s", key, 0, 4096)
    placed, _ = put_inputs(shm_dir, key, 2048, ROWS)
    placed = [(n, 2048 + o, s) for n, o, s in placed]
    os.truncate(shm_dir / "shrink", 100)
    expect_invalid(lambda: c.infer_request(shm_request(ROWS, placed, "s")), "was its file truncated")
    assert c.live()


# ---------------------------------------------------------------- several processes


def test_a_region_registered_through_one_process_serves_another(start_server, models_root, shm_dir):
    folder = write_model(models_root / "frame_two", models.FRAME_IDENTITY["manifest"], models.FRAME_IDENTITY["files"])
    env = {"PYML_SHM_DIR": str(shm_dir)}
    one, two = start_server(folder, env=env), start_server(folder, env=env)
    key = make_key(shm_dir, "shared", 4096)
    register(one.client, "both", key, 0, 4096)
    assert status(two.client) == {"both": ("/shared", 0, 4096)}
    placed, used = put_inputs(shm_dir, key, 0, ROWS)
    outs = [(name, 2048 + offset, size) for name, offset, size in placed]
    infer_shm(two.client, shm_request(ROWS, placed, "both", outs))
    assert read_region(shm_dir, key, 2048, 8 * 3) == encode_raw("INT64", [1, -2, 3])
    unregister(two.client, "both")
    expect_invalid(lambda: one.client.infer_request(shm_request(ROWS, placed, "both")), "region 'both' is not registered")
    # Registered again over a new file of the same key: both processes see the new one.
    (shm_dir / "shared").unlink()
    key = make_key(shm_dir, "shared", 4096)
    register(two.client, "both", key, 0, 4096)
    placed, _ = put_inputs(shm_dir, key, 0, ROWS)
    assert one.client.infer_request(shm_request(ROWS, placed, "both"))["u"].tolist() == [1, 2, 65535]


def test_tensor_inputs_in_shared_memory(tensor_server, shm_dir):
    # tensor_server runs without PYML_SHM_DIR: a request naming a region is refused, not crashed.
    request = build_request("alltypes", [Tensor("f64", "FP64", [2], [1.0, 2.0])])
    del request.raw_input_contents[:]
    shm_params(request.inputs[0].parameters, "r", 0, 16)
    with pytest.raises(RpcFailure) as e:
        tensor_server.client.infer_request(request)
    assert e.value.code.name == "FAILED_PRECONDITION" and "PYML_SHM_DIR" in e.value.details
