"""pyml/debug.py: the Unix-socket relay in front of debugpy, and `serve --debug-*` options."""

import json
import os
import socket
import stat
import subprocess
import sys
import threading

import pytest
from conftest import run_cli, runtime_env, wait_for, write_model

from pyml import debug

MANIFEST = """
    name: m
    model: model:M
    kind: dataframe
    inputs: [{name: x, dtype: float64}]
    outputs: [{name: x, dtype: float64}]
"""
MODEL = "from pyml import DataFrameModel\n\nclass M(DataFrameModel):\n    def predict(self, df):\n        return df\n"


def _echo_server():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def serve():
        conn, _ = server.accept()
        while True:
            data = conn.recv(4096)
            if not data:
                break
            conn.sendall(data.upper())
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return server


def test_relay_pipes_both_ways_on_an_owner_only_socket(tmp_path):
    upstream = _echo_server()
    path = str(tmp_path / "debug.sock")
    relay = debug.Relay(path, upstream.getsockname())
    try:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.settimeout(10)
        client.connect(path)
        sent = b"content-length: 2\r\n\r\n{}"
        client.sendall(sent)
        got = b""
        while len(got) < len(sent):
            got += client.recv(100)
        assert got == sent.upper()
        client.close()
    finally:
        relay.close()
        upstream.close()
    assert not os.path.exists(path)


def test_relay_refuses_a_path_that_is_not_a_socket(tmp_path):
    path = tmp_path / "debug.sock"
    path.write_text("x")
    with pytest.raises(debug.DebugError, match="is not a socket"):
        debug.Relay(str(path), ("127.0.0.1", 1))


def test_wait_needs_a_debug_address(tmp_path):
    folder = write_model(tmp_path / "m", MANIFEST, {"model.py": MODEL})
    result = run_cli("serve", str(folder), "--socket", str(tmp_path / "m.sock"), "--debug-wait")
    assert result.returncode == 2
    assert "--debug-wait needs --debug-socket or --debug-port" in result.stderr


def test_serve_with_the_debugger_speaks_dap_on_the_socket(tmp_path):
    pytest.importorskip("debugpy", reason="python3-debugpy is not installed for this python")
    folder = write_model(tmp_path / "m", MANIFEST, {"model.py": MODEL})
    dbg = str(tmp_path / "debug.sock")
    proc = subprocess.Popen(
        [sys.executable, "-Xfrozen_modules=off", "-m", "pyml", "serve", str(folder), "--socket", str(tmp_path / "m.sock"), "--debug-socket", dbg],
        env=runtime_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        def debug_socket() -> bool:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            return os.path.exists(dbg)

        wait_for(debug_socket, 90, "the debug socket")
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.settimeout(30)
        client.connect(dbg)
        body = json.dumps({"seq": 1, "type": "request", "command": "initialize", "arguments": {"adapterID": "pyml"}}).encode()
        client.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        data = b""
        while b'"command": "initialize"' not in data and b'"command":"initialize"' not in data:
            chunk = client.recv(65536)
            assert chunk, "the debugger closed the connection"
            data += chunk
        assert b'"success": true' in data or b'"success":true' in data
        client.close()
    finally:
        proc.terminate()
        proc.wait(30)
