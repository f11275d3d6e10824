"""Start, load failures, reload, unload, concurrency, shutdown: real processes."""

import json
import os
import signal
import socket
import subprocess
import threading

import pytest
from conftest import Server, wait_for, write_model
from models import identity_frame
from v2client import RpcFailure, Tensor, frame_tensors

ONE_COLUMN = """
    name: m
    model: model:M
    kind: dataframe
    inputs: [{name: x, dtype: float64}]
    outputs: [{name: y, dtype: float64}]
"""


def error_json(stderr):
    lines = [line for line in stderr.splitlines() if line.startswith("PYML_ERROR_JSON ")]
    assert len(lines) == 1, stderr
    return json.loads(lines[0][len("PYML_ERROR_JSON ") :])


def infer_y(server, x=1.0):
    return float(server.client.infer("m", frame_tensors({"x": ("FP64", [x])}))["y"][0])


def model_py(body):
    return "import helper\nfrom pyml import DataFrameModel\n\n\nclass M(DataFrameModel):\n%s" % body


PREDICT = "    def predict(self, df):\n        return df.rename(columns={'x': 'y'}) + helper.OFFSET\n"


def test_bad_manifest_stops_the_server_at_start(start_server, tmp_path):
    folder = write_model(tmp_path / "m", ONE_COLUMN.replace("kind: dataframe", "kind: frames"), {"model.py": ""})
    server = start_server(folder, ready=False)
    assert server.wait_exit() == 2
    log = server.log()
    assert "pyml.yaml: kind: must be 'dataframe'" in log and "got 'frames'" in log
    report = error_json(log)
    assert report["type"] == "ManifestError" and report["key"] == "kind"
    assert not os.path.exists(server.socket)


@pytest.mark.parametrize(
    "files, words, frame",
    [
        ({"model.py": "import no_such_package_xyz\n"}, ["ModuleNotFoundError", "no_such_package_xyz"], ("model.py", 1, "<module>")),
        (
            {"model.py": model_py("    def __init__(self):\n        raise RuntimeError('weights missing')\n" + PREDICT), "helper.py": "OFFSET = 1\n"},
            ["RuntimeError: weights missing"],
            ("model.py", 7, "__init__"),
        ),
        ({"model.py": "def broken(:\n    pass\n"}, ["SyntaxError"], ("model.py", 1, "<module>")),
    ],
    ids=["import error", "init raises", "syntax error"],
)
def test_model_that_cannot_load_exits_with_the_traceback(start_server, tmp_path, files, words, frame):
    server = start_server(write_model(tmp_path / "m", ONE_COLUMN, files), ready=False)
    assert server.wait_exit() == 3
    log = server.log()
    for w in words:
        assert w in log
    report = error_json(log)
    assert report["phase"] == "load"
    last = [f for f in report["frames"] if f["in_model"]][-1]
    assert (last["file"], last["line"], last["function"]) == frame
    assert not os.path.exists(server.socket)


def test_reload_picks_up_new_code_and_keeps_the_old_model_on_failure(start_server, tmp_path):
    folder = write_model(tmp_path / "m", ONE_COLUMN, {"model.py": model_py(PREDICT), "helper.py": "OFFSET = 1\n"})
    server = start_server(folder)
    assert infer_y(server) == 2.0

    # A helper module changes: the reload imports it afresh.
    (folder / "helper.py").write_text("OFFSET = 10\n")
    server.client.load("m")
    assert infer_y(server) == 11.0

    # Broken code: the old model keeps serving, the status carries the traceback.
    (folder / "model.py").write_text(model_py("    def __init__(self):\n        1 / 0\n" + PREDICT))
    with pytest.raises(RpcFailure) as e:
        server.client.load("m")
    assert e.value.code.name == "INTERNAL"
    assert e.value.details.startswith("ZeroDivisionError: division by zero (model.py:7 in __init__)")
    assert e.value.report["phase"] == "reload"
    assert infer_y(server) == 11.0
    assert server.client.model_ready("m")

    # A broken helper must not leak into the model still serving.
    (folder / "helper.py").write_text("OFFSET = (\n")
    with pytest.raises(RpcFailure) as e:
        server.client.load("m")
    assert e.value.report["type"] == "SyntaxError"
    assert e.value.report["frames"][-1]["file"] == "helper.py"
    assert infer_y(server) == 11.0

    # A broken manifest: FAILED_PRECONDITION naming the key.
    (folder / "helper.py").write_text("OFFSET = 100\n")
    (folder / "model.py").write_text(model_py(PREDICT))
    (folder / "pyml.yaml").write_text(ONE_COLUMN.replace("dtype: float64}]\n    outputs", "dtype: float65}]\n    outputs"))
    with pytest.raises(RpcFailure) as e:
        server.client.load("m")
    assert e.value.code.name == "FAILED_PRECONDITION"
    assert "inputs[0].dtype" in e.value.details and "float65" in e.value.details
    assert e.value.report["type"] == "ManifestError" and e.value.report["phase"] == "reload"
    assert infer_y(server) == 11.0

    # Fixed: the new manifest and code serve.
    (folder / "pyml.yaml").write_text(ONE_COLUMN.replace("version", "version").replace("name: m", "name: m\n    version: '2'"))
    server.client.load("m")
    assert infer_y(server) == 101.0
    assert list(server.client.model_metadata("m").versions) == ["2"]
    assert "model.py" not in os.listdir(folder / "__pycache__") if (folder / "__pycache__").exists() else True

    with pytest.raises(RpcFailure) as e:
        server.client.load("other")
    assert e.value.code.name == "NOT_FOUND"


def test_unload_and_load_again(start_server, tmp_path):
    folder = write_model(tmp_path / "m", ONE_COLUMN, {"model.py": model_py(PREDICT), "helper.py": "OFFSET = 1\n"})
    server = start_server(folder)
    server.client.unload("m")
    assert server.client.ready() is False
    assert server.client.model_ready("m") is False
    with pytest.raises(RpcFailure) as e:
        infer_y(server)
    assert e.value.code.name == "UNAVAILABLE"
    assert server.client.repository_index().models[0].state == "UNAVAILABLE"
    server.client.load("m")
    assert server.client.ready() and infer_y(server) == 2.0


GATED = {
    "model.py": """
        import os
        import time
        from pyml import DataFrameModel


        def wait_for(path):
            deadline = time.monotonic() + 60
            while not os.path.exists(path):
                if time.monotonic() > deadline:
                    raise TimeoutError(path)
                time.sleep(0.01)


        class M(DataFrameModel):
            def __init__(self):
                wait_for(self.data_path("load.go"))

            def predict(self, df):
                open(self.data_path("predict.started"), "w").close()
                wait_for(self.data_path("predict.go"))
                return df.rename(columns={"x": "y"})
    """,
    "data/.keep": "",
}


def test_live_but_not_ready_while_loading_then_sigterm_finishes_in_flight_requests(start_server, tmp_path):
    folder = write_model(tmp_path / "m", ONE_COLUMN, GATED)
    server = start_server(folder, ready=False)
    wait_for(lambda: os.path.exists(server.socket), 60, "the server's socket")
    wait_for(lambda: _answers(server), 60, "the server to answer")
    assert server.client.live() is True
    assert server.client.ready() is False
    assert server.client.model_ready("m") is False
    with pytest.raises(RpcFailure) as e:
        infer_y(server)
    assert e.value.code.name == "UNAVAILABLE" and "loading" in e.value.details
    (folder / "data" / "load.go").touch()
    server.wait_ready()

    results = []
    worker = threading.Thread(target=lambda: results.append(infer_y(server, 7.0)))
    worker.start()
    wait_for(lambda: (folder / "data" / "predict.started").exists(), 60, "predict to start")
    server.proc.send_signal(signal.SIGTERM)
    wait_for(lambda: "stopping" in server.log(), 60, "the server to say it is stopping")
    assert server.proc.poll() is None  # waiting for the request in flight
    (folder / "data" / "predict.go").touch()
    worker.join(60)
    assert results == [7.0]
    assert server.wait_exit() == 0
    assert not os.path.exists(server.socket)


def _answers(server):
    try:
        server.client.live()
        return True
    except RpcFailure:
        return False


def test_stale_socket_is_replaced_and_a_live_one_is_refused(start_server, models_root, sock_root, tmp_path):
    spec = identity_frame("stale", [("a", "int64")])
    folder = write_model(models_root / "stale", spec["manifest"], spec["files"])
    sock_dir = sock_root / "stale"
    sock_dir.mkdir()
    path = str(sock_dir / "stale.sock")
    old = socket.socket(socket.AF_UNIX)
    old.bind(path)
    old.close()  # leaves the file behind, nobody listening
    server = Server(folder, sock_dir)
    try:
        server.wait_ready()
        assert server.socket == path
        # A second server on the same path must refuse, not steal the socket.
        second = subprocess.run(
            [*_serve_cmd(folder), "--socket", path], capture_output=True, text=True, timeout=120, env=_env()
        )
        assert second.returncode == 2
        assert "another server is listening on %s" % path in second.stderr
        assert server.client.ready()
    finally:
        server.stop()
    regular = tmp_path / "not-a-socket"
    regular.write_text("keep me")
    third = subprocess.run([*_serve_cmd(folder), "--socket", str(regular)], capture_output=True, text=True, timeout=120, env=_env())
    assert third.returncode == 2 and "is not a socket" in third.stderr
    assert regular.read_text() == "keep me"


def _serve_cmd(folder):
    import sys

    return [sys.executable, "-m", "pyml", "serve", str(folder)]


def _env():
    from conftest import runtime_env

    return runtime_env()


CONCURRENT = {
    "model.py": """
        import threading
        import time
        import numpy as np
        from pyml import TensorModel


        class M(TensorModel):
            def __init__(self):
                self.active = 0
                self.most = 0
                self.guard = threading.Lock()
                self.barrier = threading.Barrier(2, timeout=60)

            def predict(self, tensors):
                with self.guard:
                    self.active += 1
                    self.most = max(self.most, self.active)
                try:
                    if tensors["mode"][0] == "meet":
                        self.barrier.wait()  # passes only if two predicts run at once
                    else:
                        time.sleep(0.02)  # widen the window for overlaps
                finally:
                    with self.guard:
                        self.active -= 1
                return {"most": np.array([self.most], dtype=np.int64)}
    """,
}


def concurrent_manifest(thread_safe):
    return """
        name: m
        model: model:M
        kind: tensor
        thread_safe: %s
        inputs: [{name: mode, dtype: string, shape: [1]}]
        outputs: [{name: most, dtype: int64, shape: [1]}]
    """ % ("true" if thread_safe else "false")


def run_parallel(server, mode, n):
    results, errors = [], []

    def one():
        try:
            results.append(int(server.client.infer("m", [Tensor("mode", "BYTES", [1], [mode])])["most"][0]))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    return results


def test_predict_is_serialised_unless_thread_safe(start_server, tmp_path):
    serial = start_server(write_model(tmp_path / "serial", concurrent_manifest(False), CONCURRENT))
    assert max(run_parallel(serial, "sleep", 6)) == 1

    parallel = start_server(write_model(tmp_path / "parallel", concurrent_manifest(True), CONCURRENT))
    assert parallel.client.model_metadata("m").parameters["thread_safe"].bool_param is True
    assert max(run_parallel(parallel, "meet", 2)) == 2


def test_tcp_port_binds_localhost_and_sigint_stops(start_server, models_root, sock_root):
    spec = identity_frame("tcp", [("a", "int64")])
    folder = write_model(models_root / "tcp", spec["manifest"], spec["files"])
    import sys

    from conftest import runtime_env
    from v2client import V2Client

    out = open(sock_root / "tcp.out", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "pyml", "serve", str(folder), "--port", "0"], env=runtime_env(), stdout=out, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: "pyml: serving" in open(out.name).read() or proc.poll() is not None, 90, "the server to serve or exit")
        line = open(out.name).read().strip()
        assert line.startswith("pyml: serving tcp 0.1.0 on 127.0.0.1:"), line
        port = int(line.rsplit(":", 1)[1])
        client = V2Client("127.0.0.1:%d" % port)
        result = client.infer("tcp", frame_tensors({"a": ("INT64", [5])}))
        assert list(result["a"]) == [5]
        client.close()
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0
        out.close()
