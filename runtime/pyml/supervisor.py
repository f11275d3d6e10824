"""Several model processes (workers) behind one address: `python3 -m pyml serve --workers N`.

The supervisor starts N workers, each a plain `python3 -m pyml serve` (one process, its own copy of
the model) on its own Unix socket next to the main one (`model.sock.w1`, `model.sock.w2`, ...), and
serves the main address itself with a forwarder: every call's bytes go as they are (no
deserialization) to the ready worker with the fewest calls in flight, and the answer, status and
trailing metadata (the model's traceback) come back as they are.

- Health: ServerLive answers here; ServerReady is true once every worker has loaded the model and
  while at least one serves. ModelReady, metadata and RepositoryIndex are the ready workers' answers
  (all workers serve the same folder); with none ready, the answers of a server still loading.
- RepositoryModelLoad/Unload (dev-mode reload) go to every worker; the first failure is returned.
- A worker that exits is reported (one log line with its exit cause) and started again after a
  backoff; after RESTART_LIMIT starts in a row that never became ready, it is left down (the
  others keep serving); with none left the supervisor exits. A worker that fails to load during
  the first start stops everything with that worker's exit code (its error is already on stderr).
- Clients that know (PyML's own, src/protocol/) read the worker sockets' names from the
  `pyml-workers` header of ServerLive/ServerReady and spread their ModelInfer calls over them
  directly, with no hop through this process; see docs/dev/architecture.md.
"""

import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent import futures
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import grpc

from . import grpc_server, wire
from .dataplane import DataPlane
from .proto import grpc_predict_v2_pb2 as pb

log = logging.getLogger("pyml")

WORKERS_HEADER = wire.WORKERS_HEADER  # initial metadata of ServerLive/ServerReady: worker socket names, comma-separated
WORKER_TRAILER = wire.WORKER_TRAILER  # trailing metadata of a worker's error answers: its index
WORKER_ENV = "PYML_WORKER"  # set in a worker's environment: its index (1-based)
SUPERVISOR_ENV = "PYML_SUPERVISOR_PID"  # and the supervisor's pid (a worker stops when its supervisor dies)
RESTART_LIMIT = 5  # consecutive starts that never became ready before a worker is left down
BACKOFF_FIRST, BACKOFF_MAX = 0.2, 10.0  # seconds between restarts of a crashing worker
READY_POLL_SECONDS = 0.05

FANOUT = frozenset({"RepositoryModelLoad", "RepositoryModelUnload"})
LOCAL = frozenset({"ServerLive", "ServerReady"})
METHODS = (
    "ServerLive",
    "ServerReady",
    "ModelReady",
    "ServerMetadata",
    "ModelMetadata",
    "ModelInfer",
    "RepositoryIndex",
    "RepositoryModelLoad",
    "RepositoryModelUnload",
    # Registrations live in the region folder (shm.py), so any worker may take them.
    "SystemSharedMemoryStatus",
    "SystemSharedMemoryRegister",
    "SystemSharedMemoryUnregister",
)


class StartupFailed(Exception):
    def __init__(self, index: int, code: int) -> None:
        super().__init__("worker %d exited with code %d while loading" % (index, code))
        self.index = index
        self.code = code


def exit_cause(code: int) -> str:
    """A Popen return code in words: `exit code 3` or `killed by signal 9 (SIGKILL)`."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = "unknown signal"
        return "killed by signal %d (%s)" % (-code, name)
    return "exit code %d" % code


def worker_socket_names(main_socket: str, count: int) -> List[str]:
    base = os.path.basename(main_socket)
    return ["%s.w%d" % (base, i) for i in range(1, count + 1)]


class Worker:
    """One model process: started, watched, restarted by its own thread."""

    def __init__(self, sup: "Supervisor", index: int, socket_path: str) -> None:
        self.sup = sup
        self.index = index
        self.socket = socket_path
        self.proc: Optional[subprocess.Popen] = None
        self.channel: Optional[grpc.Channel] = None
        self.calls: Dict[str, Callable[..., Any]] = {}
        self.ready = False
        self.ever_ready = False
        self.inflight = 0
        self.given_up = False
        self.thread = threading.Thread(target=self._watch, name="pyml-worker-%d" % index, daemon=True)

    @property
    def pid(self) -> Optional[int]:
        return self.proc.pid if self.proc is not None else None

    def callable(self, method: str) -> Callable[..., Any]:
        call = self.calls.get(method)
        if call is None:
            assert self.channel is not None
            call = self.channel.unary_unary("/%s/%s" % (grpc_server.SERVICE, method))
            self.calls[method] = call
        return call

    def _spawn(self) -> None:
        sup = self.sup
        env = dict(os.environ)
        env[WORKER_ENV] = str(self.index)
        args = [
            sys.executable,
            "-m",
            "pyml",
            "serve",
            str(sup.model_dir),
            "--socket",
            self.socket,
            "--workers",
            "1",
            "--threads",
            str(sup.threads),
            "--max-message-mb",
            str(sup.max_message_mb),
            "--grace-seconds",
            str(sup.grace_seconds),
            "--log-level",
            sup.log_level,
        ]
        # Workers inherit stdout and stderr: their lines (and a failed load's error report) reach the
        # container's log as if there were one process.
        env[SUPERVISOR_ENV] = str(os.getpid())
        self.proc = subprocess.Popen(args, env=env, close_fds=True)
        self.calls = {}
        if self.channel is not None:
            self.channel.close()
        self.channel = grpc.insecure_channel("unix:" + self.socket, options=sup.channel_options)

    def _wait_ready(self) -> bool:
        """Polls the worker's ServerReady until true; False when the process exits first."""
        assert self.proc is not None
        ready_call = self.callable("ServerReady")
        request = pb.ServerReadyRequest().SerializeToString()
        while self.proc.poll() is None and not self.sup.stopping.is_set():
            try:
                answer = pb.ServerReadyResponse.FromString(ready_call(request, timeout=2.0))
                if answer.ready:
                    return True
            except grpc.RpcError:
                pass
            self.sup.stopping.wait(READY_POLL_SECONDS)
        return False

    def _watch(self) -> None:
        sup = self.sup
        failures = 0  # starts in a row that never became ready
        backoff = BACKOFF_FIRST
        while not sup.stopping.is_set():
            self._spawn()
            assert self.proc is not None
            became_ready = self._wait_ready()
            if became_ready:
                failures, backoff = 0, BACKOFF_FIRST
                self.ready = True
                if not self.ever_ready:
                    self.ever_ready = True
                    sup.worker_loaded(self)
                else:
                    log.warning("worker %d (pid %d) serves again", self.index, self.proc.pid)
            code = self.proc.wait()
            self.ready = False
            if sup.stopping.is_set():
                return
            if not self.ever_ready:
                sup.startup_failed(self, code)
                return
            if not became_ready:
                failures += 1
            again = failures < RESTART_LIMIT
            log.warning(
                "worker %d (pid %d) died: %s; %s",
                self.index,
                self.proc.pid,
                exit_cause(code),
                "restarting it" if again else "not restarting it",
            )
            if not again:
                self.given_up = True
                log.error(
                    "worker %d failed to start %d times in a row; it stays down (%d of %d workers left)",
                    self.index,
                    failures,
                    sum(1 for w in sup.workers if not w.given_up),
                    len(sup.workers),
                )
                sup.worker_given_up()
                return
            if failures:
                sup.stopping.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)

    def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)

    def reap(self, deadline: float) -> None:
        proc = self.proc
        if proc is None:
            return
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("worker %d (pid %d) did not stop in time; killing it", self.index, proc.pid)
            proc.kill()
            proc.wait()
        if self.channel is not None:
            self.channel.close()


class Supervisor:
    def __init__(
        self,
        model_dir: Path,
        count: int,
        socket_path: Optional[str],
        max_message_mb: int,
        threads: int,
        grace_seconds: float,
        log_level: str,
    ) -> None:
        self.model_dir = model_dir
        self.max_message_mb = max_message_mb
        self.threads = threads
        self.grace_seconds = grace_seconds
        self.log_level = log_level
        self.stopping = threading.Event()
        self.changed = threading.Condition()
        self.startup_error: Optional[StartupFailed] = None
        self.loaded = 0
        self.started = False
        self.channel_options = grpc_server.server_options(max_message_mb * 1024 * 1024)[:2] + [
            ("grpc.initial_reconnect_backoff_ms", 100),
            ("grpc.max_reconnect_backoff_ms", 1000),
        ]
        self._private_dir: Optional[str] = None
        if socket_path:
            folder = os.path.dirname(socket_path)
            names = worker_socket_names(socket_path, count)
            self.advertised: Optional[str] = ",".join(names)
        else:  # TCP: the workers' sockets stay inside (clients reach them through the forwarder)
            folder = self._private_dir = tempfile.mkdtemp(prefix="pyml-workers-")
            names = worker_socket_names("model.sock", count)
            self.advertised = None
        self.workers = [Worker(self, i + 1, os.path.join(folder, name)) for i, name in enumerate(names)]
        self._next = 0
        self._lock = threading.Lock()
        self.idle = DataPlane(model_dir)  # answers like a server still loading when no worker is ready
        self._idle_handlers = grpc_server._handlers(self.idle)  # noqa: SLF001 - the same answers as one process

    # ------------------------------------------------------------ lifecycle (called by workers)

    def start(self) -> None:
        log.info("starting %d workers (one model process each)", len(self.workers))
        for w in self.workers:
            w.thread.start()

    def worker_loaded(self, worker: Worker) -> None:
        with self.changed:
            self.loaded += 1
            log.info("worker %d (pid %s) is ready (%d of %d)", worker.index, worker.pid, self.loaded, len(self.workers))
            if self.loaded == len(self.workers):
                self.started = True
            self.changed.notify_all()

    def startup_failed(self, worker: Worker, code: int) -> None:
        with self.changed:
            if self.startup_error is None:
                log.error("worker %d could not load the model (%s); stopping", worker.index, exit_cause(code))
                self.startup_error = StartupFailed(worker.index, code)
            self.changed.notify_all()

    def worker_given_up(self) -> None:
        with self.changed:
            self.changed.notify_all()

    def wait_started(self, shutdown: threading.Event) -> Optional[StartupFailed]:
        """Blocks until every worker is ready, one failed to load, or shutdown is asked for."""
        with self.changed:
            while not self.started and self.startup_error is None and not shutdown.is_set():
                self.changed.wait(0.5)
            return self.startup_error

    def all_down(self) -> bool:
        return all(w.given_up for w in self.workers)

    def stop(self) -> None:
        self.stopping.set()
        deadline = time.monotonic() + self.grace_seconds + 1.0
        for w in self.workers:
            w.stop()
        for w in self.workers:
            w.reap(deadline)
        for w in self.workers:
            grpc_server.remove_stale_socket(w.socket)
        if self._private_dir:
            try:
                os.rmdir(self._private_dir)
            except OSError:
                pass

    # ------------------------------------------------------------ forwarding

    def pick(self) -> Optional[Worker]:
        """The ready worker with the fewest calls in flight (round-robin among equals)."""
        with self._lock:
            n = len(self.workers)
            best: Optional[Worker] = None
            for k in range(n):
                w = self.workers[(self._next + k) % n]
                if w.ready and (best is None or w.inflight < best.inflight):
                    best = w
            if best is not None:
                self._next = (best.index) % n
                best.inflight += 1
            return best

    def done(self, worker: Worker) -> None:
        with self._lock:
            worker.inflight -= 1

    def handler(self) -> grpc.GenericRpcHandler:
        return _Forwarder(self)

    def forward(self, method: str, data: bytes, context: grpc.ServicerContext) -> bytes:
        if method == "ServerLive" or method == "ServerReady":
            return self._health(method, context)
        if method in FANOUT:
            return self._fanout(method, data, context)
        tried: List[Worker] = []
        while True:
            worker = self.pick()
            if worker is None:
                return self._local(method, data, context)
            try:
                return self._call(worker, method, data, context)
            except grpc.RpcError as e:
                if _worker_unreachable(e) and len(tried) < len(self.workers):
                    tried.append(worker)
                    log.debug("worker %d unreachable (%s); trying another", worker.index, e.details())
                    continue
                _relay_error(context, e)
                raise  # not reached: _relay_error aborts
            finally:
                self.done(worker)

    def _call(self, worker: Worker, method: str, data: bytes, context: grpc.ServicerContext) -> bytes:
        future = worker.callable(method).future(  # type: ignore[attr-defined]
            data, timeout=context.time_remaining(), metadata=_passed_metadata(context.invocation_metadata())
        )
        context.add_callback(future.cancel)
        response = future.result()
        trailing = future.trailing_metadata()
        if trailing:
            context.set_trailing_metadata(tuple(trailing))
        return response  # type: ignore[no-any-return]

    def _health(self, method: str, context: grpc.ServicerContext) -> bytes:
        if self.advertised:
            context.send_initial_metadata(((WORKERS_HEADER, self.advertised),))
        if method == "ServerLive":
            return pb.ServerLiveResponse(live=True).SerializeToString()  # type: ignore[no-any-return]
        ready = self.started and any(w.ready for w in self.workers)
        return pb.ServerReadyResponse(ready=ready).SerializeToString()  # type: ignore[no-any-return]

    def _fanout(self, method: str, data: bytes, context: grpc.ServicerContext) -> bytes:
        """Every worker that runs gets the call (a reload reloads every worker); the first error wins."""
        targets = [w for w in self.workers if w.ready]
        if not targets:
            return self._local(method, data, context)
        with futures.ThreadPoolExecutor(max_workers=len(targets)) as pool:
            results = list(pool.map(lambda w: _outcome(lambda: self._call_plain(w, method, data, context)), targets))
        for worker, (response, error) in zip(targets, results):
            if error is not None:
                log.warning("%s failed in worker %d: %s", method, worker.index, error.details())
                _relay_error(context, error)
        return results[0][0]  # type: ignore[return-value]

    def _call_plain(self, worker: Worker, method: str, data: bytes, context: grpc.ServicerContext) -> bytes:
        return worker.callable(method)(  # type: ignore[no-any-return]
            data, timeout=context.time_remaining(), metadata=_passed_metadata(context.invocation_metadata())
        )

    def _local(self, method: str, data: bytes, context: grpc.ServicerContext) -> bytes:
        """The answer of a server whose model is still loading (no worker is ready)."""
        h = self._idle_handlers[method]
        request = h.request_deserializer(data) if h.request_deserializer else data
        response = h.unary_unary(request, context)
        return h.response_serializer(response) if h.response_serializer else response  # type: ignore[no-any-return]


class _Forwarder(grpc.GenericRpcHandler):
    def __init__(self, sup: Supervisor) -> None:
        prefix = "/%s/" % grpc_server.SERVICE
        self._handlers = {
            prefix + m: grpc.unary_unary_rpc_method_handler(_bound(sup, m)) for m in METHODS
        }

    def service(self, handler_call_details: Any) -> Optional[grpc.RpcMethodHandler]:
        return self._handlers.get(handler_call_details.method)


def _bound(sup: Supervisor, method: str) -> Callable[[bytes, grpc.ServicerContext], bytes]:
    def handle(data: bytes, context: grpc.ServicerContext) -> bytes:
        return sup.forward(method, data, context)

    return handle


def _outcome(fn: Callable[[], bytes]) -> Tuple[Optional[bytes], Optional[grpc.RpcError]]:
    try:
        return fn(), None
    except grpc.RpcError as e:
        return None, e


def _worker_unreachable(error: grpc.RpcError) -> bool:
    """The worker did not answer (it died or is restarting), as opposed to the worker's own error."""
    if error.code() != grpc.StatusCode.UNAVAILABLE:
        return False
    trailing = error.trailing_metadata() or ()
    return not any(key == WORKER_TRAILER for key, _ in trailing)


def _relay_error(context: grpc.ServicerContext, error: grpc.RpcError) -> None:
    trailing = error.trailing_metadata()
    if trailing:
        context.set_trailing_metadata(tuple(trailing))
    context.abort(error.code(), error.details() or "")


_DROPPED = ("user-agent", "content-type", "te", "grpc-")


def _passed_metadata(metadata: Optional[Sequence[Any]]) -> Tuple[Tuple[str, Any], ...]:
    return tuple((m.key, m.value) for m in metadata or () if not m.key.startswith(":") and not m.key.startswith(_DROPPED))


def die_with_supervisor() -> None:
    """In a worker: be sent SIGTERM when the supervisor dies (Linux), so no worker outlives it."""
    parent = os.environ.get(SUPERVISOR_ENV)
    if not parent:
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # not Linux: the supervisor's stop() still ends its workers
        return
    if os.getppid() != int(parent):  # it died before prctl
        os.kill(os.getpid(), signal.SIGTERM)


def serve(args: Any, model_dir: Path, socket_path: Optional[str], count: int) -> int:
    """Runs the supervisor: workers, the forwarder on the main address, restarts, shutdown."""
    from . import manifest
    from .cli import EXIT_CONFIG, EXIT_ERROR, EXIT_OK, _fail

    sup = Supervisor(model_dir, count, socket_path, args.max_message_mb, args.threads, args.grace_seconds, args.log_level)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max(16, args.threads * count), thread_name_prefix="pyml-forward"),
        handlers=[sup.handler()],
        options=grpc_server.server_options(args.max_message_mb * 1024 * 1024),
    )
    identity = None
    try:
        if socket_path:
            for w in sup.workers:
                grpc_server.check_socket_path(w.socket)
            address, identity = grpc_server.bind_unix(server, socket_path)
        else:
            address = grpc_server.bind_tcp(server, args.host, args.port)
    except grpc_server.BindError as e:
        _fail(str(e))
        return EXIT_CONFIG

    shutdown = grpc_server.Shutdown()
    shutdown.server = server
    signal.signal(signal.SIGTERM, shutdown.handle)
    signal.signal(signal.SIGINT, shutdown.handle)
    server.start()
    log.info("listening on %s (ServerLive answers; %d workers loading the model)", address, count)
    sup.start()

    code = EXIT_OK
    failed = sup.wait_started(shutdown.requested)
    if failed is not None:
        code = failed.code if failed.code > 0 else EXIT_ERROR
        server.stop(0).wait()
    elif not shutdown.requested.is_set():
        m = manifest.load(model_dir)
        print("pyml: serving %s %s on %s with %d workers" % (m.name, m.version, address, count), flush=True)
        while not shutdown.requested.wait(1.0):
            if sup.all_down():
                log.error("every worker stays down; stopping")
                code = EXIT_ERROR
                break
    if failed is None:
        log.info("stopping: waiting up to %.0fs for requests in flight", args.grace_seconds)
        server.stop(args.grace_seconds).wait()
    sup.stop()
    if socket_path and identity:
        grpc_server.remove_socket(socket_path, identity)
    log.info("stopped")
    return code
