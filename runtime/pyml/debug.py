"""Debugging a served model: debugpy in this process, reachable without a network.

`python3 -m pyml serve ... --debug-socket PATH` starts debugpy listening on
127.0.0.1 (an ephemeral port, loopback only, inside the container) and a relay
that accepts connections on the Unix socket PATH (owner-only, in the
bind-mounted socket folder) and pipes each one to debugpy's port. The editor
speaks DAP to that socket, so a container with `--network none` can be
debugged. `--debug-port N` is the fallback where a Unix socket cannot cross
into the container (Docker Desktop): debugpy listens on `--debug-host` itself.

`--debug-wait` holds the model's construction until a debugger attaches, so
breakpoints in `__init__` are hit.
"""

import logging
import os
import socket
import stat
import threading
from typing import Any, Optional, Tuple

log = logging.getLogger("pyml")

SOCKET_PATH_MAX = 107
_CHUNK = 65536


class DebugError(Exception):
    """Debugging cannot start; the message says what to add or change."""


def _debugpy() -> Any:
    try:
        import debugpy
    except ImportError:
        raise DebugError(
            "debugpy is not installed in this image: add python3-debugpy to packages.txt "
            "(Debian/Ubuntu base images) or debugpy to requirements.txt"
        ) from None
    return debugpy


class DebugServer:
    """debugpy listening, plus the Unix-socket relay when asked for one."""

    def __init__(self, endpoint: Tuple[str, int], relay: Optional["Relay"]) -> None:
        self.endpoint = endpoint
        self.relay = relay

    @property
    def address(self) -> str:
        if self.relay is not None:
            return "unix://" + self.relay.path
        return "%s:%d" % self.endpoint

    def wait_for_client(self) -> None:
        log.info("waiting for a debugger to attach on %s before loading the model", self.address)
        _debugpy().wait_for_client()
        log.info("debugger attached")

    def close(self) -> None:
        if self.relay is not None:
            self.relay.close()


def start(socket_path: Optional[str] = None, host: str = "127.0.0.1", port: int = 0) -> DebugServer:
    """Starts debugpy; with `socket_path`, on loopback behind a Unix-socket relay."""
    debugpy = _debugpy()
    # The adapter debugpy starts is a child process: it must not be told about frozen modules again.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    listen_host = "127.0.0.1" if socket_path else host
    try:
        endpoint = debugpy.listen((listen_host, 0 if socket_path else port))
    except Exception as e:  # debugpy raises RuntimeError for a busy port, among others
        raise DebugError("debugpy cannot listen on %s:%s: %s" % (listen_host, port, e)) from None
    endpoint = (str(endpoint[0]), int(endpoint[1]))
    relay = Relay(socket_path, endpoint) if socket_path else None
    server = DebugServer(endpoint, relay)
    # The extension waits for this line's address (and for the socket file) before attaching.
    print("pyml: debugger listening on %s" % server.address, flush=True)
    return server


class Relay:
    """Accepts on a Unix socket and pipes every connection to a TCP endpoint on loopback."""

    def __init__(self, path: str, target: Tuple[str, int]) -> None:
        if len(path.encode()) > SOCKET_PATH_MAX:
            raise DebugError("debug socket path is over %d bytes: %s" % (SOCKET_PATH_MAX, path))
        folder = os.path.dirname(path) or "."
        if not os.path.isdir(folder):
            raise DebugError("debug socket folder %s does not exist" % folder)
        if os.path.lexists(path):
            if not stat.S_ISSOCK(os.lstat(path).st_mode):
                raise DebugError("%s exists and is not a socket; remove it" % path)
            os.unlink(path)
        self.path = path
        self.target = target
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)
        try:
            self._listener.bind(path)
        finally:
            os.umask(old_umask)
        os.chmod(path, 0o600)
        self._listener.listen(4)
        self._closed = False
        _untraced(threading.Thread(target=self._accept, name="pyml-debug-relay", daemon=True)).start()

    def close(self) -> None:
        self._closed = True
        try:
            self._listener.close()
        finally:
            try:
                os.unlink(self.path)
            except OSError:
                pass

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=10)
                upstream.settimeout(None)
            except OSError as e:
                log.warning("debug relay: cannot reach debugpy at %s:%d: %s", self.target[0], self.target[1], e)
                client.close()
                continue
            for src, dst in ((client, upstream), (upstream, client)):
                _untraced(threading.Thread(target=_pump, args=(src, dst), name="pyml-debug-pipe", daemon=True)).start()


def _untraced(thread: threading.Thread) -> threading.Thread:
    """Keeps the relay's own threads out of the debugger's thread list and tracing."""
    thread.is_pydev_daemon_thread = True  # type: ignore[attr-defined]
    thread.pydev_do_not_trace = True  # type: ignore[attr-defined]
    return thread


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while True:
            data = src.recv(_CHUNK)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        # Half-close so the other direction drains, then let both ends go.
        for s in (dst, src):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
