"""The gRPC adapter: inference.GRPCInferenceService over a Unix socket or TCP.

Registered with grpc.method_handlers_generic_handler (no grpc protoc plugin).
ModelInfer takes and returns serialized bytes so wire.py can avoid copying
raw contents. Every PymlError is mapped to a gRPC status here, once; an error
with details (model code failures, manifest errors) also carries them as UTF-8
JSON in the trailing metadata key `pyml-error-bin` (see runtime/README.md).
"""

import logging
import os
import socket
import stat
import threading
from concurrent import futures
from typing import Any, Callable, Dict, List, Optional, Tuple

import grpc

from . import tracebacks, wire
from .dataplane import DataPlane
from .errors import ModelNotFound, PymlError, Status
from .proto import grpc_predict_v2_pb2 as pb

log = logging.getLogger("pyml")

SERVICE = "inference.GRPCInferenceService"
SOCKET_PATH_MAX = 107  # sockaddr_un.sun_path is 108 bytes with its NUL

_CODES = {
    Status.INVALID_ARGUMENT: grpc.StatusCode.INVALID_ARGUMENT,
    Status.NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    Status.FAILED_PRECONDITION: grpc.StatusCode.FAILED_PRECONDITION,
    Status.UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
    Status.INTERNAL: grpc.StatusCode.INTERNAL,
}


class BindError(Exception):
    """The address cannot be used; the message says why and how to fix it."""


def server_options(max_message_bytes: int) -> List[Tuple[str, Any]]:
    return [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
        ("grpc.so_reuseport", 0),
    ]


def create_server(dataplane: DataPlane, max_message_bytes: int, threads: int) -> grpc.Server:
    handlers = _handlers(dataplane)
    return grpc.server(
        futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="pyml-rpc"),
        handlers=[grpc.method_handlers_generic_handler(SERVICE, handlers)],
        options=server_options(max_message_bytes),
    )


def _handlers(dp: DataPlane) -> Dict[str, grpc.RpcMethodHandler]:
    def unary(fn: Callable[[Any], Any], request_cls: Any, response_cls: Any) -> grpc.RpcMethodHandler:
        return grpc.unary_unary_rpc_method_handler(
            _guard(fn),
            request_deserializer=request_cls.FromString,
            response_serializer=response_cls.SerializeToString,
        )

    def infer(data: bytes) -> bytes:
        head, raw_out = dp.infer(wire.parse_infer_request(data))
        return wire.serialize_infer_response(head, raw_out)

    def reload(request: Any) -> Any:
        manifest = dp.manifest
        if manifest is not None and request.model_name and request.model_name != manifest.name:
            raise ModelNotFound(
                "model '%s' is not served here; this server serves '%s'" % (request.model_name, manifest.name)
            )
        dp.load("reload" if manifest is not None else "load")
        return pb.RepositoryModelLoadResponse()

    def unload(request: Any) -> Any:
        dp.unload(request.model_name)
        return pb.RepositoryModelUnloadResponse()

    def shm_register(request: Any) -> Any:
        dp.shm.register(request.name, request.key, request.offset, request.byte_size)
        return pb.SystemSharedMemoryRegisterResponse()

    def shm_unregister(request: Any) -> Any:
        dp.shm.unregister(request.name)
        return pb.SystemSharedMemoryUnregisterResponse()

    return {
        "ServerLive": unary(lambda _: dp.server_live(), pb.ServerLiveRequest, pb.ServerLiveResponse),
        "ServerReady": unary(lambda _: dp.server_ready(), pb.ServerReadyRequest, pb.ServerReadyResponse),
        "ModelReady": unary(dp.model_ready, pb.ModelReadyRequest, pb.ModelReadyResponse),
        "ServerMetadata": unary(lambda _: dp.server_metadata(), pb.ServerMetadataRequest, pb.ServerMetadataResponse),
        "ModelMetadata": unary(dp.model_metadata, pb.ModelMetadataRequest, pb.ModelMetadataResponse),
        "ModelInfer": grpc.unary_unary_rpc_method_handler(_guard(infer)),  # bytes in, bytes out
        "RepositoryIndex": unary(lambda _: dp.repository_index(), pb.RepositoryIndexRequest, pb.RepositoryIndexResponse),
        "RepositoryModelLoad": unary(reload, pb.RepositoryModelLoadRequest, pb.RepositoryModelLoadResponse),
        "RepositoryModelUnload": unary(unload, pb.RepositoryModelUnloadRequest, pb.RepositoryModelUnloadResponse),
        # System shared-memory extension (shm.py)
        "SystemSharedMemoryStatus": unary(
            lambda r: dp.shm.status_response(r.name), pb.SystemSharedMemoryStatusRequest, pb.SystemSharedMemoryStatusResponse
        ),
        "SystemSharedMemoryRegister": unary(shm_register, pb.SystemSharedMemoryRegisterRequest, pb.SystemSharedMemoryRegisterResponse),
        "SystemSharedMemoryUnregister": unary(
            shm_unregister, pb.SystemSharedMemoryUnregisterRequest, pb.SystemSharedMemoryUnregisterResponse
        ),
    }


def _guard(fn: Callable[[Any], Any]) -> Callable[[Any, grpc.ServicerContext], Any]:
    """Runs fn; maps a PymlError (or an unexpected exception) to a gRPC status."""

    def handler(request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return fn(request)
        except PymlError as e:
            error = e
        except Exception as e:  # a bug in pyml itself: report it, keep serving
            log.exception("unexpected error")
            error = PymlError("pyml internal error: %s: %s" % (type(e).__name__, e))
        _abort(context, error)

    return handler


# In a worker process of `serve --workers N` (pyml/supervisor.py): its index, sent with every error
# answer so that a balancing client tells the model's own errors from a worker that did not answer.
_WORKER = os.environ.get("PYML_WORKER", "")


def _abort(context: grpc.ServicerContext, error: PymlError) -> None:
    code = _CODES[error.status]
    details = error.details()
    trailing: List[Tuple[str, Any]] = [(wire.WORKER_TRAILER, _WORKER)] if _WORKER else []
    if details is not None:
        text = details.get("traceback") or ""
        if text:
            log.error("%s\n%s", error.message, text.rstrip())
        else:
            log.error("%s", error.message)
        trailing.append((wire.ERROR_TRAILER, tracebacks.encode(details)))
    else:
        log.debug("%s: %s", code.name, error.message)
    if trailing:
        context.set_trailing_metadata(tuple(trailing))
    message = error.message if len(error.message) <= 2000 else error.message[:1997] + "..."
    context.abort(code, message)


# ---------------------------------------------------------------- addresses


def bind_unix(server: grpc.Server, path: str) -> Tuple[str, Tuple[int, int]]:
    """Binds the Unix socket `path` (absolute) readable and writable by its owner only.

    A stale socket file (no server answering) is removed first; a live one, or
    any other kind of file, is an error. Returns the address and the socket's
    (device, inode) so that shutdown removes this very file.
    """
    check_socket_path(path)
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise BindError("socket folder %s does not exist; create it or pass another --socket" % folder)
    if os.path.lexists(path):
        mode = os.lstat(path).st_mode
        if not stat.S_ISSOCK(mode):
            raise BindError("%s exists and is not a socket; remove it or pass another --socket" % path)
        if _socket_answers(path):
            raise BindError("another server is listening on %s; stop it or pass another --socket" % path)
        log.info("removing stale socket %s", path)
        os.unlink(path)
    old_umask = os.umask(0o177)
    try:
        _add_port(server, "unix:" + path)
    finally:
        os.umask(old_umask)
    os.chmod(path, 0o600)
    st = os.stat(path)
    return "unix://" + path, (st.st_dev, st.st_ino)


def check_socket_path(path: str) -> None:
    if len(path.encode()) > SOCKET_PATH_MAX:
        raise BindError(
            "socket path is %d bytes, over the %d-byte limit of Unix sockets: %s; use a shorter folder (e.g. under /tmp)"
            % (len(path.encode()), SOCKET_PATH_MAX, path)
        )


def remove_stale_socket(path: str) -> None:
    """Removes the socket file `path` when nothing answers on it (a worker that was killed leaves one)."""
    try:
        if stat.S_ISSOCK(os.lstat(path).st_mode) and not _socket_answers(path):
            os.unlink(path)
    except OSError:
        pass


def bind_tcp(server: grpc.Server, host: str, port: int) -> str:
    target = "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)
    bound = _add_port(server, target)
    return "[%s]:%d" % (host, bound) if ":" in host else "%s:%d" % (host, bound)


def remove_socket(path: str, identity: Tuple[int, int]) -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if (st.st_dev, st.st_ino) == identity:
        os.unlink(path)


def _add_port(server: grpc.Server, target: str) -> int:
    try:
        port = server.add_insecure_port(target)
    except RuntimeError as e:
        raise BindError("cannot listen on %s: %s" % (target, e)) from None
    if not port:
        raise BindError("cannot listen on %s (address in use or not allowed)" % target)
    return int(port)


def _socket_answers(path: str) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(path)
        return True
    except OSError:
        return False
    finally:
        probe.close()


class Shutdown:
    """Set by SIGTERM/SIGINT; a second signal stops at once (cancels in-flight requests)."""

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.server: Optional[grpc.Server] = None

    def handle(self, signum: int, _frame: Any) -> None:
        if self.requested.is_set() and self.server is not None:
            log.warning("second signal: stopping now")
            self.server.stop(0)
        self.requested.set()
