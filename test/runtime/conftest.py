"""Fixtures: model folders written on the fly, and real `python3 -m pyml serve`
processes over real Unix sockets.

Run with Debian's Python and its python3-grpcio/protobuf/numpy/pandas/yaml/pytest:

    /usr/bin/python3 -m pytest test/runtime -q
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import grpc
import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "runtime"
HERE = Path(__file__).resolve().parent
for path in (str(RUNTIME), str(HERE)):
    if path not in sys.path:
        sys.path.insert(0, path)

import models  # noqa: E402
from v2client import V2Client  # noqa: E402

START_TIMEOUT = 90.0  # a loaded 2-core machine can be slow to import pandas


def wait_for(condition, timeout: float = 90.0, what: str = "condition"):
    """Polls `condition` until it returns something truthy (returned), failing after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out waiting for %s" % what)


def write_model(folder: Path, manifest: str, files: Dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyml.yaml").write_text(textwrap.dedent(manifest).lstrip())
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text).lstrip())
    return folder


def runtime_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(RUNTIME)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(extra or {})
    return env


def run_cli(*args: str, timeout: float = 120, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pyml", *args],
        env=runtime_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(ROOT),
    )


class Server:
    """A `python3 -m pyml serve` process and a client connected to it."""

    def __init__(self, model_dir: Path, sock_dir: Path, args: List[str] = (), env: Optional[Dict[str, str]] = None):
        self.model_dir = model_dir
        self.socket = str(sock_dir / ("%s.sock" % model_dir.name[:40]))
        self.log_path = sock_dir / ("%s.log" % model_dir.name[:40])
        self.out_path = sock_dir / ("%s.out" % model_dir.name[:40])
        self._err = open(self.log_path, "wb")
        self._out = open(self.out_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pyml", "serve", str(model_dir), "--socket", self.socket, *args],
            env=runtime_env(env),
            stdout=self._out,
            stderr=self._err,
            cwd=str(ROOT),
        )
        self.client = V2Client("unix://" + self.socket)

    def wait_ready(self, timeout: float = START_TIMEOUT) -> "Server":
        """Polls ServerReady until true; fails with the server's log if it exits first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("server exited with %s:\n%s" % (self.proc.returncode, self.log()))
            try:
                if self.client.ready(timeout=2, wait=True):
                    return self
            except grpc.RpcError:
                pass
        raise AssertionError("server not ready after %ss:\n%s" % (timeout, self.log()))

    def wait_exit(self, timeout: float = 60) -> int:
        return self.proc.wait(timeout=timeout)

    def log(self) -> str:
        self._err.flush()
        return self.log_path.read_text(errors="replace")

    def stdout(self) -> str:
        self._out.flush()
        return self.out_path.read_text(errors="replace")

    def stop(self) -> Optional[int]:
        self.client.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._err.close()
        self._out.close()
        return self.proc.returncode


@pytest.fixture(scope="session")
def sock_root() -> Iterator[Path]:
    # Short, so socket paths stay under the 107-byte limit whatever pytest's tmp_path is.
    root = Path(tempfile.mkdtemp(prefix="pyml-t-", dir="/tmp"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def models_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture
def start_server(sock_root: Path) -> Iterator:
    """start_server(model_dir, *args, env=None, ready=True) -> Server, stopped after the test."""
    started: List[Server] = []
    counter = [0]

    def start(model_dir: Path, *args: str, env: Optional[Dict[str, str]] = None, ready: bool = True) -> Server:
        counter[0] += 1
        sock_dir = Path(tempfile.mkdtemp(prefix="s%d-" % counter[0], dir=str(sock_root)))
        server = Server(model_dir, sock_dir, list(args), env)
        started.append(server)
        return server.wait_ready() if ready else server

    yield start
    for server in started:
        server.stop()


def _session_server(sock_root: Path, models_root: Path, name: str, spec: Dict) -> Iterator[Server]:
    folder = write_model(models_root / name, spec["manifest"], spec["files"])
    sock_dir = Path(tempfile.mkdtemp(prefix=name[:8] + "-", dir=str(sock_root)))
    server = Server(folder, sock_dir, spec.get("args", []))
    try:
        yield server.wait_ready()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def tensor_server(sock_root: Path, models_root: Path) -> Iterator[Server]:
    yield from _session_server(sock_root, models_root, "alltypes", models.ALL_TYPES_TENSOR)


@pytest.fixture(scope="session")
def frame_server(sock_root: Path, models_root: Path) -> Iterator[Server]:
    yield from _session_server(sock_root, models_root, "frame", models.FRAME_IDENTITY)


@pytest.fixture(scope="session")
def behave_server(sock_root: Path, models_root: Path) -> Iterator[Server]:
    yield from _session_server(sock_root, models_root, "behave", models.FRAME_BEHAVIOURS)


@pytest.fixture(scope="session")
def tcheck_server(sock_root: Path, models_root: Path) -> Iterator[Server]:
    yield from _session_server(sock_root, models_root, "tcheck", models.TENSOR_BEHAVIOURS)
