"""`serve --workers N` (pyml/supervisor.py): N model processes behind one address, real processes and sockets."""

import os
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from conftest import run_cli, wait_for, write_model
from v2client import SERVICE, RpcFailure, V2Client, frame_tensors

from pyml import cli, supervisor
from pyml.proto import grpc_predict_v2_pb2 as pb

MANIFEST = """
    name: who
    version: "1"
    model: model:Who
    kind: dataframe
    inputs: [{name: x, dtype: float64}]
    outputs: [{name: pid, dtype: int64}, {name: version, dtype: string}]
"""

# Answers with the pid of the process that ran predict and the version read at load; x < 0 raises;
# x > 0 sleeps x ms (so that concurrent requests overlap); data/broken makes the next load fail.
MODEL = """
    import os
    import time

    import numpy as np
    import pandas as pd
    from pyml import DataFrameModel


    class Who(DataFrameModel):
        def __init__(self):
            if self.data_path("broken").exists():
                raise RuntimeError("broken on purpose")
            self.version = self.data_path("version.txt").read_text().strip()

        def predict(self, df):
            x = float(df["x"].iloc[0])
            if x < 0:
                raise ValueError("negative x %s" % x)
            time.sleep(x / 1000)
            n = len(df)
            return pd.DataFrame({"pid": np.full(n, os.getpid(), np.int64), "version": [self.version] * n})
"""


def who_model(tmp_path: Path, name: str = "who") -> Path:
    return write_model(tmp_path / name, MANIFEST, {"model.py": MODEL, "data/version.txt": "1\n"})


def ask(client: V2Client, x: float = 0.0):
    result = client.infer("who", frame_tensors({"x": ("FP64", [x])}))
    version = result["version"][0]
    return int(result["pid"][0]), version.decode() if isinstance(version, bytes) else version


def worker_clients(server, count: int = 2):
    return [V2Client("unix://%s.w%d" % (server.socket, i)) for i in range(1, count + 1)]


def live_header(server) -> str:
    stub = server.client.channel.unary_unary(SERVICE + "ServerLive")
    _, call = stub.with_call(pb.ServerLiveRequest().SerializeToString(), timeout=10)
    return dict(call.initial_metadata()).get(supervisor.WORKERS_HEADER, "")


def test_two_workers_answer_and_advertise_their_sockets(start_server, tmp_path):
    server = start_server(who_model(tmp_path), "--workers", "2")
    name = os.path.basename(server.socket)
    assert live_header(server) == "%s.w1,%s.w2" % (name, name)
    assert server.client.ready()
    log = server.log()
    assert "starting 2 workers" in log and "worker 1 (pid" in log and "worker 2 (pid" in log
    assert "with 2 workers" in server.stdout()
    # Each worker answers on its own socket, from its own process, with its own copy of the model.
    pids = set()
    for client in worker_clients(server):
        try:
            pid, version = ask(client)
        finally:
            client.close()
        assert version == "1"
        pids.add(pid)
    assert len(pids) == 2 and server.proc.pid not in pids


def test_concurrent_requests_on_the_main_address_reach_both_workers(start_server, tmp_path):
    server = start_server(who_model(tmp_path), "--workers", "2")
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: ask(server.client, 30.0), range(32)))
    pids = {pid for pid, _ in answers}
    assert len(pids) == 2, answers


def test_health_and_metadata_answer_as_one_process(start_server, tmp_path):
    folder = who_model(tmp_path)
    one = start_server(folder)
    two = start_server(folder, "--workers", "2")
    for method in ("server_metadata", "repository_index"):
        assert getattr(one.client, method)() == getattr(two.client, method)(), method
    assert one.client.model_metadata("who") == two.client.model_metadata("who")
    assert one.client.model_ready("who") is True and two.client.model_ready("who") is True
    for server in (one, two):
        with pytest.raises(RpcFailure) as caught:
            server.client.model_metadata("nope")
        assert caught.value.code == grpc.StatusCode.NOT_FOUND
        assert "'nope' is not served here" in caught.value.details


def test_a_model_exception_reaches_the_caller_as_from_one_process(start_server, tmp_path):
    folder = who_model(tmp_path)
    one = start_server(folder)
    two = start_server(folder, "--workers", "2")
    errors = []
    for client in (one.client, two.client, *worker_clients(two)):
        with pytest.raises(RpcFailure) as caught:
            ask(client, -1.0)
        errors.append(caught.value)
    for error in errors:
        assert error.code == grpc.StatusCode.INTERNAL
        assert error.details == errors[0].details == "ValueError: negative x -1.0 (model.py:18 in predict)"
        assert error.report == errors[0].report
    # A worker says which it is; one process does not.
    assert "pyml-worker" not in errors[0].trailers
    assert {e.trailers["pyml-worker"] for e in errors[1:]} <= {"1", "2"}
    # Bad input likewise.
    for client in (one.client, two.client):
        with pytest.raises(RpcFailure) as caught:
            client.infer("who", frame_tensors({"y": ("FP64", [1.0])}))
        assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
        assert "'y'" in caught.value.details or "y:" in caught.value.details


def test_a_killed_worker_is_reported_and_restarted(start_server, tmp_path):
    server = start_server(who_model(tmp_path), "--workers", "2")
    w1, w2 = worker_clients(server)
    try:
        victim, _ = ask(w1)
        other, _ = ask(w2)
        os.kill(victim, signal.SIGKILL)
        # The other worker serves the main address meanwhile.
        for _ in range(4):
            pid, _ = ask(server.client)
        line = wait_for(
            lambda: next((l for l in server.log().splitlines() if "worker 1 (pid %d) died" % victim in l), None),
            what="the death report",
        )
        assert "killed by signal 9 (SIGKILL); restarting it" in line
        wait_for(lambda: "worker 1 (pid" in server.log().split(line, 1)[1] and "serves again" in server.log().split(line, 1)[1], what="restart")
        reborn, _ = ask(w1)
        assert reborn not in (victim, other)
        assert ask(w2)[0] == other
        answered = {ask(server.client, 20.0)[0] for _ in range(20)}
        assert answered <= {reborn, other}
        assert server.client.ready()
    finally:
        w1.close()
        w2.close()


def test_a_worker_that_cannot_start_again_is_left_down_after_the_limit(start_server, tmp_path):
    folder = who_model(tmp_path)
    server = start_server(folder, "--workers", "2")
    w1, w2 = worker_clients(server)
    try:
        victim, _ = ask(w1)
        other, _ = ask(w2)
        (folder / "data" / "broken").write_text("")
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: "stays down (1 of 2 workers left)" in server.log(), timeout=120, what="give-up")
        log = server.log()
        assert log.count("worker 1 (pid") >= supervisor.RESTART_LIMIT
        assert "RuntimeError: broken on purpose" in log
        assert ask(server.client)[0] == other  # the other one keeps serving
        assert server.proc.poll() is None
    finally:
        w1.close()
        w2.close()


def test_reload_reaches_every_worker(start_server, tmp_path):
    folder = who_model(tmp_path)
    server = start_server(folder, "--workers", "2")
    (folder / "data" / "version.txt").write_text("2\n")
    server.client.load("who")
    clients = worker_clients(server)
    try:
        assert [ask(c)[1] for c in clients] == ["2", "2"]
        # A failed reload is reported like one process's, and both keep the old model.
        (folder / "model.py").write_text("def broken(:\n")
        with pytest.raises(RpcFailure) as caught:
            server.client.load("who")
        assert caught.value.code == grpc.StatusCode.INTERNAL
        assert caught.value.report["type"] == "SyntaxError"
        assert [ask(c)[1] for c in clients] == ["2", "2"]
    finally:
        for c in clients:
            c.close()


def test_a_model_that_cannot_load_stops_every_worker_with_its_error(tmp_path, sock_root):
    folder = who_model(tmp_path)
    (folder / "data" / "broken").write_text("")
    sock = str(sock_root / "broken-w.sock")
    done = run_cli("serve", str(folder), "--socket", sock, "--workers", "2", timeout=180)
    assert done.returncode == cli.EXIT_MODEL, done.stderr
    assert "RuntimeError: broken on purpose" in done.stderr
    assert "PYML_ERROR_JSON " in done.stderr
    assert "could not load the model" in done.stderr
    assert not any(p.name.startswith("broken-w.sock") for p in sock_root.iterdir())


def test_sigterm_stops_the_workers_and_removes_the_sockets(start_server, tmp_path):
    server = start_server(who_model(tmp_path), "--workers", "2")
    clients = worker_clients(server)
    pids = [ask(c)[0] for c in clients]
    for c in clients:
        c.close()
    server.proc.send_signal(signal.SIGTERM)
    assert server.wait_exit() == 0
    for pid in pids:
        wait_for(lambda: not _alive(pid), timeout=30, what="worker %d to exit" % pid)
    folder = Path(server.socket).parent
    assert not [p.name for p in folder.iterdir() if ".sock" in p.name]


def test_workers_stop_when_the_supervisor_is_killed(start_server, tmp_path):
    server = start_server(who_model(tmp_path), "--workers", "2")
    clients = worker_clients(server)
    pids = [ask(c)[0] for c in clients]
    for c in clients:
        c.close()
    server.proc.kill()
    server.proc.wait()
    for pid in pids:
        wait_for(lambda: not _alive(pid), timeout=30, what="worker %d to exit" % pid)


def test_tcp_with_workers_serves_through_the_forwarder(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT, runtime_env

    out = tmp_path / "out.txt"
    with open(out, "wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pyml", "serve", str(who_model(tmp_path)), "--port", "0", "--workers", "2"],
            env=runtime_env(),
            stdout=sink,
            stderr=subprocess.DEVNULL,
            cwd=str(ROOT),
        )
    try:
        line = wait_for(lambda: next((l for l in out.read_text().splitlines() if "with 2 workers" in l), None), what="serving line")
        address = line.split(" on ")[1].split(" ")[0]
        client = V2Client(address)
        try:
            assert len({ask(client, 10.0)[0] for _ in range(8)}) == 2
            stub = client.channel.unary_unary(SERVICE + "ServerLive")
            _, call = stub.with_call(pb.ServerLiveRequest().SerializeToString(), timeout=10)
            assert supervisor.WORKERS_HEADER not in dict(call.initial_metadata())  # the sockets stay inside
        finally:
            client.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0


def test_worker_count_parsing_and_cpu_limit():
    assert cli._worker_count("3") == 3
    assert cli._worker_count("auto") == cli.cpu_limit() >= 1
    with pytest.raises(Exception):
        cli._worker_count("none")
    assert supervisor.exit_cause(-9) == "killed by signal 9 (SIGKILL)"
    assert supervisor.exit_cause(3) == "exit code 3"
    assert supervisor.worker_socket_names("/run/pyml/model.sock", 2) == ["model.sock.w1", "model.sock.w2"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (not reaped yet) is gone for our purposes
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False
