"""Command line: `python3 -m pyml serve|check|version`.

Exit codes: 0 done; 2 usage, manifest or address problem; 3 the model's code
failed to import or construct; 1 anything else. A failed load prints the
traceback to stderr and then one line `PYML_ERROR_JSON {...}` holding the
structured report (the same JSON as the `pyml-error-bin` trailer).
"""

import argparse
import gc
import json
import logging
import math
import os
import signal
import sys
import threading
from pathlib import Path
from typing import List, Optional

from . import __version__

EXIT_OK, EXIT_ERROR, EXIT_CONFIG, EXIT_MODEL = 0, 1, 2, 3
DEFAULT_MAX_MESSAGE_MB = 512
MAX_MESSAGE_MB_LIMIT = 2047  # gRPC sizes are 32-bit signed

log = logging.getLogger("pyml")


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    _setup_logging(args.log_level)
    if args.command == "version":
        print(__version__)
        return EXIT_OK
    if args.command == "batch":
        from . import batch

        return int(batch.run(args))
    if args.command == "dask-run":  # batch prediction on a Dask cluster (pyml/dask_job.py)
        from . import dask_job

        return int(dask_job.run(args))
    if args.command == "dask-worker":  # a Dask worker that loads this image's model (pyml/dask_worker.py)
        return _dask_worker(args.dask_args)
    sys.dont_write_bytecode = True  # never write __pycache__ into the user's model folder
    model_dir = Path(args.model_dir).resolve()
    if not model_dir.is_dir():
        _fail("model folder %s does not exist" % model_dir)
        return EXIT_CONFIG
    if args.command == "check":
        return _check(model_dir)
    return _serve(args, model_dir)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python3 -m pyml", description="PyML model runtime (Open Inference Protocol over gRPC)")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve a model folder over gRPC")
    serve.add_argument("model_dir", metavar="MODEL_DIR", help="folder holding pyml.yaml")
    where = serve.add_mutually_exclusive_group(required=True)
    where.add_argument("--socket", metavar="PATH", help="Unix socket to create (owner-only permissions)")
    where.add_argument("--port", type=int, metavar="N", help="TCP port (0: any free port); binds 127.0.0.1 unless --host")
    serve.add_argument("--host", default="127.0.0.1", help="address for --port (default 127.0.0.1)")
    serve.add_argument(
        "--max-message-mb",
        type=int,
        default=DEFAULT_MAX_MESSAGE_MB,
        metavar="N",
        help="largest request or response in MiB (default %d)" % DEFAULT_MAX_MESSAGE_MB,
    )
    serve.add_argument(
        "--workers",
        type=_worker_count,
        default=1,
        metavar="N",
        help="model processes, each with its own copy of the model, behind this one address; "
        "`auto`: the container's CPU limit (default 1; see pyml/supervisor.py)",
    )
    serve.add_argument("--threads", type=int, default=8, metavar="N", help="request threads of each process (default 8)")
    serve.add_argument(
        "--grace-seconds",
        type=float,
        default=8.0,
        metavar="S",
        help="on SIGTERM/SIGINT, time given to in-flight requests (default 8, under Docker's 10 s stop timeout)",
    )
    debug = serve.add_argument_group("debugging (debugpy, see pyml/debug.py)")
    debug_where = debug.add_mutually_exclusive_group()
    debug_where.add_argument("--debug-socket", metavar="PATH", help="serve the debugger (DAP) on this Unix socket")
    debug_where.add_argument("--debug-port", type=int, metavar="N", help="serve the debugger (DAP) on this TCP port")
    debug.add_argument("--debug-host", default="127.0.0.1", help="address for --debug-port (default 127.0.0.1)")
    debug.add_argument("--debug-wait", action="store_true", help="wait for a debugger before loading the model")
    _log_level(serve)

    check = sub.add_parser("check", help="validate pyml.yaml, import and construct the model, then exit")
    check.add_argument("model_dir", metavar="MODEL_DIR")
    _log_level(check)

    version = sub.add_parser("version", help="print the runtime version")
    _log_level(version)

    try:  # offline batch prediction (pyml/batch.py), when that module is present
        from . import batch
    except ImportError:
        batch = None  # type: ignore[assignment]
    if batch is not None and hasattr(batch, "add_arguments"):
        batch.add_arguments(sub.add_parser("batch", help="predict rows from a file through the model, offline"))
    try:  # Dask cluster batch jobs, when distributed is in the image
        from . import dask_job
    except ImportError:
        dask_job = None  # type: ignore[assignment]
    if dask_job is not None:
        dask_job.add_arguments(sub.add_parser("dask-run", help="predict partitions of files on a Dask cluster into a dataset folder"))
        worker = sub.add_parser("dask-worker", help="a Dask worker that loads this model once (dask-worker options follow)")
        worker.add_argument("dask_args", nargs=argparse.REMAINDER, metavar="SCHEDULER [OPTIONS]")
        _log_level(worker)
    return parser


def _dask_worker(dask_args: List[str]) -> int:
    """Replaces this process by distributed's own worker, with the model loaded by a preload."""
    argv = [sys.executable, "-m", "distributed.cli.dask_worker", *dask_args, "--preload", "pyml.dask_worker"]
    os.execvp(argv[0], argv)
    return EXIT_ERROR  # not reached


def _log_level(p: argparse.ArgumentParser) -> None:
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])


def _check(model_dir: Path) -> int:
    from . import loader
    from .errors import ManifestError, ModelCodeError

    os.chdir(model_dir)
    try:
        model = loader.load(model_dir, "load")
    except ManifestError as e:
        _fail(e.message, e.details())
        return EXIT_CONFIG
    except ModelCodeError as e:
        _fail("cannot load the model: %s" % e.message, e.report)
        return EXIT_MODEL
    m = model.manifest
    counts = "%d input%s, %d output%s" % (
        len(m.inputs), "" if len(m.inputs) == 1 else "s", len(m.outputs), "" if len(m.outputs) == 1 else "s"
    )
    print("pyml: model OK: %s %s (%s, %s)" % (m.name, m.version, m.kind, counts), flush=True)
    return EXIT_OK


def _serve(args: argparse.Namespace, model_dir: Path) -> int:
    from . import grpc_server, manifest
    from .dataplane import DataPlane
    from .errors import ManifestError, ModelCodeError, PymlError

    if not 1 <= args.max_message_mb <= MAX_MESSAGE_MB_LIMIT:
        _fail("--max-message-mb must be between 1 and %d, got %d" % (MAX_MESSAGE_MB_LIMIT, args.max_message_mb))
        return EXIT_CONFIG
    if args.threads < 1:
        _fail("--threads must be at least 1")
        return EXIT_CONFIG
    socket_path = os.path.abspath(args.socket) if args.socket else None  # before chdir
    debug_socket = os.path.abspath(args.debug_socket) if args.debug_socket else None
    try:
        manifest.load(model_dir)  # a bad manifest stops us before anything is bound
    except ManifestError as e:
        _fail(e.message, e.details())
        return EXIT_CONFIG
    os.chdir(model_dir)

    if args.workers > 1:
        if debug_socket or args.debug_port is not None:
            log.warning("debugging: serving with 1 worker, not %d (the debugger attaches to one process)", args.workers)
        else:
            from . import supervisor

            return supervisor.serve(args, model_dir, socket_path, args.workers)
    if os.environ.get("PYML_WORKER"):
        from . import supervisor

        supervisor.die_with_supervisor()

    debugger = None
    if debug_socket or args.debug_port is not None:
        from . import debug

        try:
            debugger = debug.start(debug_socket, args.debug_host, args.debug_port or 0)
        except debug.DebugError as e:
            _fail(str(e))
            return EXIT_CONFIG
    elif args.debug_wait:
        _fail("--debug-wait needs --debug-socket or --debug-port")
        return EXIT_CONFIG

    dataplane = DataPlane(model_dir)
    server = grpc_server.create_server(dataplane, args.max_message_mb * 1024 * 1024, args.threads)
    identity = None
    try:
        if socket_path:
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
    log.info("listening on %s (ServerLive answers; loading the model)", address)

    outcome: List[Optional[PymlError]] = []
    loaded = threading.Event()

    def load() -> None:
        try:
            if debugger is not None and args.debug_wait:
                debugger.wait_for_client()
            dataplane.load("load")
            outcome.append(None)
        except PymlError as e:
            outcome.append(e)
        except BaseException as e:  # pragma: no cover - a bug in pyml
            outcome.append(PymlError("pyml internal error while loading: %s: %s" % (type(e).__name__, e)))
        finally:
            loaded.set()

    threading.Thread(target=load, name="pyml-load", daemon=True).start()
    while not loaded.is_set() and not shutdown.requested.is_set():
        loaded.wait(0.5)

    code = EXIT_OK
    if loaded.is_set() and outcome and outcome[0] is not None:
        error = outcome[0]
        if isinstance(error, ModelCodeError):
            _fail("cannot load the model: %s" % error.message, error.report)
            code = EXIT_MODEL
        elif isinstance(error, ManifestError):
            _fail(error.message, error.details())
            code = EXIT_CONFIG
        else:
            _fail(error.message)
            code = EXIT_ERROR
        server.stop(0).wait()
    else:
        m = dataplane.manifest
        if m is not None:
            # Everything imported so far lives as long as the process: keep it out of the
            # garbage collector's full passes (fewer latency spikes).
            gc.collect()
            gc.freeze()
            print("pyml: serving %s %s on %s" % (m.name, m.version, address), flush=True)
        while not shutdown.requested.wait(1.0):
            pass
        log.info("stopping: waiting up to %.0fs for requests in flight", args.grace_seconds)
        server.stop(args.grace_seconds).wait()
    if socket_path and identity:
        grpc_server.remove_socket(socket_path, identity)
    if debugger is not None:
        debugger.close()
    log.info("stopped")
    return code


def _worker_count(value: str) -> int:
    if value == "auto":
        return cpu_limit()
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number of processes or `auto`, got %r" % value) from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1, got %d" % n)
    return n


def cpu_limit() -> int:
    """The cores this process may use: the cgroup's CPU quota (Docker's --cpus), rounded up, else the CPUs it may run on."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    quota = None
    try:  # cgroup v2: "max 100000" or "200000 100000"
        q, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if q != "max":
            quota = int(q) / int(period)
    except (OSError, ValueError):
        try:  # cgroup v1
            q = Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").read_text().strip()
            period = Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us").read_text().strip()
            if int(q) > 0:
                quota = int(q) / int(period)
        except (OSError, ValueError):
            pass
    if quota is not None:
        cores = min(cores, max(1, math.ceil(quota)))
    return max(1, int(cores))


def _setup_logging(level: str) -> None:
    """pyml's own log lines on stderr at `level`; other libraries' at WARNING and up. A worker's lines say which."""
    worker = os.environ.get("PYML_WORKER")
    name = "%(name)s[w" + worker + "]" if worker else "%(name)s"
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format=name + " %(levelname)s %(message)s")
    log.setLevel(getattr(logging, level.upper()))


def _fail(message: str, report: Optional[dict] = None) -> None:
    print("pyml: error: %s" % message, file=sys.stderr)
    if report is not None:
        text = report.get("traceback")
        if text:
            print(text.rstrip(), file=sys.stderr)
        from .wire import ERROR_JSON_PREFIX

        print(ERROR_JSON_PREFIX + json.dumps(report, ensure_ascii=False, separators=(",", ":")), file=sys.stderr)
    sys.stderr.flush()
