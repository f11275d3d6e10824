"""The driver of a Dask batch job (docs/cluster.md): `python3 -m pyml dask-run`.

    python3 -m pyml dask-run --scheduler tcp://HOST:8786 --input DIR|GLOB|FILE [--input ...]
        --output DATASET_DIR [--keys id] [--partition-by region] [--partition-bytes N | --partitions N]
        [--min-workers N] [--wait-workers S] [--tls-ca F --tls-cert F --tls-key F]

It runs in a container of the model's image (so it has `distributed` and the same runtime), connects
to the scheduler, checks that every worker runs this image (model name, version, image and content
digests; a worker running anything else is refused, naming it and both digests), then submits one
task per input partition (dask_worker.predict_partition) and waits for them as they complete.

Partitions: every file of a folder or glob (CSV or JSON lines), each split by byte ranges when it is
larger than --partition-bytes (or into --partitions equal ranges). A line belongs to the range where it
starts, so CSV rows must not hold newlines inside quoted fields when a file is split.

Output: a dataset folder: part-NNNNN.csv (or .jsonl) per partition, under key=value/ folders when
--partition-by names columns, and _SUCCESS (JSON: rows per partition, total, image digest, timings).
Everything is written into a hidden temporary folder next to the output, renamed only when every
partition succeeded; a failure or an interruption removes it.

Paths are the same for the driver and the workers (the local cluster mounts the workspace at the same
path; an existing cluster needs shared storage).

stdout carries one JSON object a line for the extension: {"event": "connected"|"workers"|"partitions"
|"progress"|"done"|"error", ...}; stderr carries human-readable lines.

Exit codes: 0 done; 1 a partition failed or the job was interrupted; 2 usage, input or cluster problem.
"""

import argparse
import glob
import json
import os
import shutil
import signal
import sys
import threading
import time
from typing import Any, Dict, List, Optional

EXIT_OK, EXIT_ERROR, EXIT_CONFIG = 0, 1, 2
CONNECT_TIMEOUT_S = 4.0
DEFAULT_WAIT_WORKERS_S = 6.0
_FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}
_ARROW = (".parquet", ".arrow", ".feather", ".arrows")


class JobError(Exception):
    def __init__(self, message: str, code: int = EXIT_ERROR, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.extra = extra


class Interrupted(Exception):
    pass


def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("--scheduler", required=True, metavar="ADDR", help="tcp://HOST:PORT or tls://HOST:PORT")
    p.add_argument("--input", required=True, action="append", metavar="PATH", help="a folder, a glob or a file (repeatable)")
    p.add_argument("--output", required=True, metavar="DIR", help="the dataset folder to create")
    p.add_argument("--input-format", choices=("csv", "jsonl"), help="default: from each file's extension")
    p.add_argument("--output-format", choices=("csv", "jsonl"), default="csv")
    p.add_argument("--keys", default="", metavar="A,B", help="input columns to carry through next to the outputs")
    p.add_argument("--partition-by", default="", metavar="A,B", help="columns whose values name key=value/ sub-folders")
    p.add_argument("--partition-bytes", type=int, default=64 * 1024 * 1024, metavar="N", help="split files larger than this (default 64 MiB)")
    p.add_argument("--partitions", type=int, default=0, metavar="N", help="split each file into N byte ranges instead")
    p.add_argument("--rows-per-batch", type=int, default=10000, metavar="N")
    p.add_argument("--min-workers", type=int, default=1, metavar="N", help="workers to wait for before starting")
    p.add_argument("--wait-workers", type=float, default=DEFAULT_WAIT_WORKERS_S, metavar="S", help="how long to wait for them")
    p.add_argument("--tls-ca", metavar="FILE")
    p.add_argument("--tls-cert", metavar="FILE")
    p.add_argument("--tls-key", metavar="FILE")
    p.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])
    return p


def main(argv: Optional[List[str]] = None) -> int:
    parser = add_arguments(argparse.ArgumentParser(prog="python3 -m pyml dask-run", description="PyML batch prediction on a Dask cluster"))
    return run(parser.parse_args(argv))


def run(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    sys.dont_write_bytecode = True
    job = _Job(args)
    try:
        job.run()
        return EXIT_OK
    except JobError as e:
        emit("error", message=e.message, **e.extra)
        print("pyml: dask-run: error: %s" % e.message, file=sys.stderr, flush=True)
        return e.code
    except (Interrupted, KeyboardInterrupt):
        emit("cancelled", message="the job was cancelled; its temporary output was removed")
        return EXIT_ERROR
    finally:
        job.cleanup()


_emit_lock = threading.Lock()


def emit(event: str, **fields: Any) -> None:
    with _emit_lock:
        sys.stdout.write(json.dumps(dict(event=event, **fields), default=str) + "\n")
        sys.stdout.flush()


# ---------------------------------------------------------------- partitions


def plan_partitions(inputs: List[str], input_format: Optional[str], partition_bytes: int, partitions: int) -> List[Dict[str, Any]]:
    files: List[str] = []
    for spec in inputs:
        if os.path.isdir(spec):
            found = sorted(os.path.join(spec, n) for n in os.listdir(spec) if os.path.splitext(n)[1].lower() in _FORMATS or os.path.splitext(n)[1].lower() in _ARROW)
            if not found:
                raise JobError("%s holds no CSV or JSON lines files" % spec, EXIT_CONFIG)
            files.extend(found)
        elif any(c in spec for c in "*?["):
            found = sorted(f for f in glob.glob(spec, recursive=True) if os.path.isfile(f))
            if not found:
                raise JobError("%s matches no file" % spec, EXIT_CONFIG)
            files.extend(found)
        elif os.path.isfile(spec):
            files.append(spec)
        else:
            raise JobError("%s does not exist (paths must be visible at the same place to this machine and the workers)" % spec, EXIT_CONFIG)
    out: List[Dict[str, Any]] = []
    for path in files:
        ext = os.path.splitext(path)[1].lower()
        if ext in _ARROW:
            raise JobError(
                "%s: Parquet and Arrow need pyarrow, which this image does not have (Debian packages no pyarrow); "
                "use CSV or JSON lines, or add pyarrow to the model's requirements.txt" % path,
                EXIT_CONFIG,
            )
        fmt = input_format or _FORMATS.get(ext)
        if fmt is None:
            raise JobError("%s: unknown format; give --input-format csv or jsonl" % path, EXIT_CONFIG)
        size = os.path.getsize(path)
        count = partitions if partitions > 0 else max(1, -(-size // max(partition_bytes, 1)))
        step = -(-size // count) if size else 0
        for i in range(count):
            start = i * step
            end = None if i == count - 1 else (i + 1) * step
            if i > 0 and start >= size:
                break
            out.append({"path": os.path.abspath(path), "start": start, "end": end, "format": fmt, "delimiter": "\t" if ext == ".tsv" else ","})
    for i, p in enumerate(out):
        p["index"] = i
    return out


# ---------------------------------------------------------------- the job


class _Job:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.output = os.path.abspath(args.output)
        self.temp: Optional[str] = None
        self.client: Any = None
        self.futures: List[Any] = []

    def run(self) -> None:
        from . import dask_worker

        args = self.args
        keys = [k.strip() for k in args.keys.split(",") if k.strip()]
        partition_by = [k.strip() for k in args.partition_by.split(",") if k.strip()]
        if os.path.exists(self.output):
            raise JobError("%s already exists; choose a new folder for the dataset, or remove it" % self.output, EXIT_CONFIG)
        parent = os.path.dirname(self.output)
        if not os.path.isdir(parent):
            raise JobError("cannot write %s: the folder %s does not exist" % (self.output, parent), EXIT_CONFIG)
        client = self.client = self._connect()
        parts = plan_partitions(args.input, args.input_format, args.partition_bytes, args.partitions)
        emit("partitions", total=len(parts), files=len({p["path"] for p in parts}))

        mine = dask_worker.identity()  # the driver runs the job's image: its identity is the expected one
        expect = {"image": mine.get("image"), "content": mine["content"]}
        workers = self._check_workers(client, mine)

        self.temp = os.path.join(parent, ".%s.%s.partial" % (os.path.basename(self.output), os.urandom(4).hex()))
        os.makedirs(self.temp)
        common = {
            "keys": keys,
            "partition_by": partition_by,
            "output_format": args.output_format,
            "temp_dir": self.temp,
            "rows_per_batch": args.rows_per_batch,
            "expect": expect,
        }
        started = time.time()
        t0 = time.monotonic()
        tasks = [dict(p, **common) for p in parts]
        self.futures = [
            client.submit(dask_worker.predict_partition, t, key="pyml-partition-%05d-%s" % (t["index"], os.path.basename(self.temp)), pure=False, retries=0)
            for t in tasks
        ]
        results = self._wait(client, tasks, t0, len(workers))
        seconds = time.monotonic() - t0
        self._finish(results, mine, tasks, started, seconds, len(workers))

    def _connect(self) -> Any:
        try:
            from distributed import Client
        except ImportError:
            raise JobError("this image has no Dask (python3-distributed or the pip package distributed): add it to the model's image", EXIT_CONFIG) from None

        address = self.args.scheduler
        security = None
        if address.startswith("tls://"):
            from distributed.security import Security

            if not (self.args.tls_ca and self.args.tls_cert and self.args.tls_key):
                raise JobError("%s is a TLS address: set the CA, certificate and key files (pyml.cluster.tls.*)" % address, EXIT_CONFIG)
            security = Security(tls_ca_file=self.args.tls_ca, tls_client_cert=self.args.tls_cert, tls_client_key=self.args.tls_key, require_encryption=True)
        started = time.monotonic()
        try:
            client = Client(address, timeout=CONNECT_TIMEOUT_S, security=security, set_as_default=False)
        except Exception as e:  # noqa: BLE001 - OSError, TimeoutError, ValueError for a bad address
            raise JobError(
                "cannot reach the Dask scheduler at %s within %.0f s (%s: %s). Is it running, and is the address right?"
                % (address, time.monotonic() - started, type(e).__name__, str(e).splitlines()[0] if str(e) else ""),
                EXIT_CONFIG,
            ) from None
        info = client.scheduler_info()
        dashboard = None
        try:
            dashboard = client.dashboard_link if "dashboard" in (info.get("services") or {}) else None
        except Exception:  # noqa: BLE001
            dashboard = None
        emit("connected", scheduler=address, dashboard=dashboard)
        return client

    def _check_workers(self, client: Any, mine: Dict[str, Any]) -> List[str]:
        from . import dask_worker

        wanted = max(1, self.args.min_workers)
        deadline = time.monotonic() + self.args.wait_workers
        while len(client.scheduler_info()["workers"]) < wanted:
            if time.monotonic() > deadline:
                have = len(client.scheduler_info()["workers"])
                raise JobError(
                    "the Dask scheduler at %s has %d worker%s after %.0f s (this job needs %d); start workers of this model's image"
                    % (self.args.scheduler, have, "" if have == 1 else "s", self.args.wait_workers, wanted),
                    EXIT_CONFIG,
                )
            time.sleep(0.1)
        plugin = dask_worker.model_plugin()
        try:
            if hasattr(client, "register_plugin"):
                client.register_plugin(plugin, name="pyml-model")
            else:
                client.register_worker_plugin(plugin, name="pyml-model")
        except Exception as e:  # noqa: BLE001 - a model that does not load on a worker
            raise JobError("a worker could not load the model: %s" % _first(e), EXIT_CONFIG) from None
        try:
            identities = client.run(dask_worker.identity)
        except Exception as e:  # noqa: BLE001
            raise JobError("a worker could not report what it runs: %s" % _first(e), EXIT_CONFIG) from None
        names = {addr: (w.get("name") or addr) for addr, w in client.scheduler_info()["workers"].items()}
        refused = []
        for addr, who in sorted(identities.items()):
            same_model = who.get("model") == mine.get("model") and who.get("version") == mine.get("version")
            same_image = not (who.get("image") and mine.get("image")) or who.get("image") == mine.get("image")
            same_content = who.get("content") == mine.get("content")
            if not (same_model and same_image and same_content):
                refused.append(
                    "worker %s (%s) runs %s %s, image %s (content %s); this job runs %s %s, image %s (content %s)"
                    % (
                        names.get(addr, addr), addr, who.get("model"), who.get("version"), who.get("image") or "not given",
                        _short(who.get("content")), mine.get("model"), mine.get("version"), mine.get("image") or "not given", _short(mine.get("content")),
                    )
                )
        if refused:
            raise JobError("refused: a worker runs another image; no partition was sent.\n  - " + "\n  - ".join(refused), EXIT_CONFIG, refused=refused)
        emit("workers", count=len(identities), workers=sorted(identities), model=mine["model"], version=mine["version"], image=mine.get("image"), content=mine["content"])
        return sorted(identities)

    def _wait(self, client: Any, tasks: List[Dict[str, Any]], t0: float, workers: int) -> List[Dict[str, Any]]:
        from distributed import as_completed

        from . import dask_worker

        results: List[Dict[str, Any]] = []
        rows = 0
        stop = threading.Event()
        state = {"workers": workers}

        def report() -> None:
            elapsed = max(time.monotonic() - t0, 1e-9)
            emit("progress", done=len(results), total=len(tasks), rows=rows, rows_per_second=round(rows / elapsed, 1), workers=state["workers"], seconds=round(elapsed, 2))

        def ticker() -> None:
            while not stop.wait(1.0):
                try:
                    state["workers"] = len(client.scheduler_info()["workers"])
                except Exception:  # noqa: BLE001
                    pass
                report()

        thread = threading.Thread(target=ticker, daemon=True)
        thread.start()
        try:
            for future in as_completed(self.futures, loop=client.loop):
                try:
                    result = future.result()
                except dask_worker.PartitionFailed as e:
                    raise JobError(e.message, EXIT_ERROR, partition=e.partition, rows=e.rows, report=e.report, path=tasks[e.partition]["path"]) from None
                except dask_worker.ForeignWorker as e:
                    raise JobError("refused: %s; the job stopped" % e, EXIT_CONFIG) from None
                except Exception as e:  # noqa: BLE001 - a worker lost too often (KilledWorker), or a bug
                    raise JobError("a partition failed: %s: %s" % (type(e).__name__, _first(e)), EXIT_ERROR) from None
                results.append(result)
                rows += int(result["rows"])
                report()
        finally:
            stop.set()
        return results

    def _finish(self, results: List[Dict[str, Any]], mine: Dict[str, Any], tasks: List[Dict[str, Any]], started: float, seconds: float, workers: int) -> None:
        from . import dask_worker

        assert self.temp is not None
        # Leftovers of attempts on workers that died mid-partition: hidden temporary files.
        for root, _dirs, files in os.walk(self.temp):
            for name in files:
                if name.startswith("."):
                    os.unlink(os.path.join(root, name))
        results.sort(key=lambda r: int(r["index"]))
        total = sum(int(r["rows"]) for r in results)
        success = {
            "rows": total,
            "partitions": [
                {"index": r["index"], "input": dask_worker.describe(tasks[r["index"]]), "path": tasks[r["index"]]["path"], "rows": r["rows"], "files": r["files"], "seconds": r["seconds"], "worker": r["worker"]}
                for r in results
            ],
            "model": mine["model"],
            "version": mine["version"],
            "image": mine.get("image"),
            "content": mine["content"],
            "scheduler": self.args.scheduler,
            "workers": workers,
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "seconds": round(seconds, 3),
            "rows_per_second": round(total / max(seconds, 1e-9), 1),
        }
        with open(os.path.join(self.temp, "_SUCCESS"), "x", encoding="utf-8") as f:
            json.dump(success, f, indent=1)
            f.write("\n")
        os.rename(self.temp, self.output)
        self.temp = None
        emit("done", output=self.output, rows=total, partitions=len(results), seconds=round(seconds, 3), rows_per_second=success["rows_per_second"], workers=workers)

    def cleanup(self) -> None:
        if self.futures and self.client is not None:
            try:
                self.client.cancel(self.futures, force=True)
            except Exception:  # noqa: BLE001
                pass
        if self.temp is not None:
            shutil.rmtree(self.temp, ignore_errors=True)
            self.temp = None
        if self.client is not None:
            try:
                self.client.close(timeout=2)
            except Exception:  # noqa: BLE001
                pass


def _first(e: BaseException) -> str:
    text = str(e) or type(e).__name__
    return text.splitlines()[0]


def _short(digest: Optional[str]) -> str:
    return (digest or "?")[:19]


def _on_signal(signum: int, frame: Any) -> None:
    raise Interrupted()


if __name__ == "__main__":
    sys.exit(main())
