"""The worker side of a Dask batch job (docs/cluster.md): the model loaded once per worker, and one
input partition predicted through the same request path as serving and `pyml batch`.

Two ways in, the same effect:
- `python3 -m pyml dask-worker SCHEDULER [dask-worker options]` (what the local cluster runs) starts
  `distributed`'s own worker with `--preload pyml.dask_worker`: dask_setup() loads the model before
  the worker takes any task;
- a worker started any other way (an existing cluster running the published image) gets the
  ModelPlugin that the driver registers (dask_job.py): its setup() loads the model the same way.

Each partition is read with batch.py's readers, sent batch by batch through batch.predict (a
serialized ModelInferRequest answered by DataPlane.infer, then the serialized answer decoded) and
written with batch.py's writer, so the values are the bytes `pyml batch` and the extension write.

Identity: every worker reports the model's name and version, the image digest it was started from
(environment PYML_IMAGE_DIGEST: the local cluster sets it to the image id; set it to the published
digest elsewhere) and a content digest of the model folder and the runtime, computed here.
"""

import hashlib
import io
import os
import time
import traceback
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

MODEL_DIR = os.environ.get("PYML_MODEL_DIR", "/opt/pyml/model")
IMAGE_DIGEST_ENV = "PYML_IMAGE_DIGEST"

_state: Dict[str, Any] = {}


class PartitionFailed(Exception):
    """A partition could not be predicted: which one, which rows, why (and the model's report)."""

    def __init__(self, message: str, partition: int, rows: str, report: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(message)
        self.message = message
        self.partition = partition
        self.rows = rows
        self.report = report

    def __reduce__(self) -> Any:  # travels back to the client pickled
        return (PartitionFailed, (self.message, self.partition, self.rows, self.report))


class ForeignWorker(Exception):
    """This worker runs another model or image than the job's."""


# ---------------------------------------------------------------- loading, once per worker


def content_digest(model_dir: str = MODEL_DIR) -> str:
    """sha256 over the model folder's files and the pyml runtime's files (paths and bytes)."""
    h = hashlib.sha256()
    roots = [Path(model_dir), Path(__file__).resolve().parent]
    for root in roots:
        if not root.is_dir():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(str(path.relative_to(root)).encode("utf-8") + b"\0")
            h.update(path.read_bytes())
            h.update(b"\0")
    return "sha256:" + h.hexdigest()


def load_model() -> Dict[str, Any]:
    """Loads the model of this image once (idempotent); returns the worker's state."""
    if "dataplane" in _state:
        return _state
    from . import manifest as manifest_mod
    from .dataplane import DataPlane

    started = time.monotonic()
    model_dir = Path(MODEL_DIR).resolve()
    manifest = manifest_mod.load(model_dir)
    cwd = os.getcwd()
    os.chdir(model_dir)  # as `pyml serve` and `pyml batch` do: relative paths start at the model
    try:
        dataplane = DataPlane(model_dir)
        dataplane.load("load")
    finally:
        os.chdir(cwd)
    _state.update(
        dataplane=dataplane,
        manifest=manifest,
        model_dir=model_dir,
        identity={
            "model": manifest.name,
            "version": manifest.version,
            "image": os.environ.get(IMAGE_DIGEST_ENV) or None,
            "content": content_digest(str(model_dir)),
            "load_seconds": round(time.monotonic() - started, 3),
        },
    )
    return _state


def identity() -> Dict[str, Any]:
    """What this worker runs (called on every worker by the driver before a job starts)."""
    state = load_model()
    return dict(state["identity"])


def dask_setup(worker: Any = None) -> None:
    """`--preload pyml.dask_worker`: load the model before the worker takes any task."""
    load_model()


def model_plugin() -> Any:
    """The WorkerPlugin that loads the model on every worker of the cluster, present and future."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class ModelPlugin(WorkerPlugin):
        name = "pyml-model"

        def setup(self, worker: Any) -> None:
            load_model()

    return ModelPlugin()


# ---------------------------------------------------------------- one partition


def predict_partition(task: Dict[str, Any]) -> Dict[str, Any]:
    """Predicts one partition into the job's temporary dataset folder; returns its row count and time.

    task: index, path, start, end (byte range, end None = to the end), format, delimiter, keys,
    partition_by, output_format, temp_dir, rows_per_batch, expect (image/content digests).
    """
    from . import batch

    started = time.monotonic()
    state = load_model()
    _check_identity(state["identity"], task.get("expect") or {})
    manifest = state["manifest"]
    dataplane = state["dataplane"]
    index = int(task["index"])
    fmt = task["format"]
    keys: List[str] = list(task.get("keys") or [])
    partition_by: List[str] = list(task.get("partition_by") or [])
    where = describe(task)
    text = _read_range(task["path"], int(task.get("start") or 0), task.get("end"), fmt)
    try:
        reader = batch._reader(fmt, io.StringIO(text, newline=""), task.get("delimiter") or ",", where)
        batch._check_columns(manifest, reader.columns(), keys)
        for col in partition_by:
            if col not in reader.columns():
                raise batch.BatchError("'%s': is a partition column but the input has no such column" % col)
    except batch.BatchError as e:
        raise PartitionFailed("partition %d (%s): %s" % (index, where, e.message), index, "before any row") from None
    columns = [k for k in keys if k not in partition_by] + [s.name for s in manifest.outputs]
    sinks = _Sinks(task["temp_dir"], index, task.get("output_format") or "csv", columns, partition_by)
    rows_done = 0
    batch_no = 0
    cwd = os.getcwd()
    os.chdir(state["model_dir"])
    try:
        for rows in reader.batches(int(task.get("rows_per_batch") or batch.DEFAULT_ROWS_PER_BATCH)):
            batch_no += 1
            start, end = rows_done, rows_done + len(rows)
            span = _rows(start, end)
            try:
                inputs = {s.name: batch._column(s, [r.get(s.name) for r in rows], fmt, start) for s in manifest.inputs}
                outputs = batch.predict(dataplane, manifest, inputs, len(rows), "p%d-b%d" % (index, batch_no))
            except batch._ValueProblem as e:
                raise PartitionFailed("partition %d (%s): %s" % (index, where, e), index, span) from None
            except Exception as e:  # noqa: BLE001 - every failure names its partition and rows
                report = getattr(e, "report", None)
                if report is None:
                    report = {"type": type(e).__name__, "message": str(e), "traceback": traceback.format_exc()}
                message = "partition %d (%s), %s: %s" % (index, where, span, batch._message(e))
                raise PartitionFailed(message, index, span, report) from None
            sinks.write(rows, keys, outputs, manifest)
            rows_done = end
        files = sinks.commit()
    except BaseException:
        sinks.discard()
        raise
    finally:
        os.chdir(cwd)
    return {
        "index": index,
        "rows": rows_done,
        "files": files,
        "seconds": round(time.monotonic() - started, 4),
        "worker": _worker_address(),
    }


def describe(task: Dict[str, Any]) -> str:
    name = os.path.basename(str(task["path"]))
    end = task.get("end")
    start = int(task.get("start") or 0)
    if start == 0 and end is None:
        return name
    return "%s bytes %d-%s" % (name, start, "end" if end is None else str(end))


def _rows(start: int, end: int) -> str:
    return "row %d of the partition" % (start + 1) if end - start == 1 else "rows %d-%d of the partition" % (start + 1, end)


def _check_identity(mine: Dict[str, Any], expect: Dict[str, Any]) -> None:
    for field in ("image", "content"):
        want = expect.get(field)
        have = mine.get(field)
        if want and have and want != have:
            raise ForeignWorker(
                "worker %s runs %s %s from image %s, but this job's image is %s (its %s digest differs)"
                % (_worker_address(), mine.get("model"), mine.get("version"), have, want, field)
            )


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except Exception:  # noqa: BLE001 - outside a worker (tests)
        return "local"


def _read_range(path: str, start: int, end: Optional[int], fmt: str) -> str:
    """The partition's text: for CSV the header line, then every line that starts in [start, end)."""
    with open(path, "rb") as f:
        header = b""
        if fmt == "csv":
            header = f.readline()
        if start > 0:
            f.seek(start - 1)
            f.readline()  # the rest of the line that started before the range (nothing when at a line start)
        elif fmt == "csv":
            f.seek(len(header))
        if end is None:
            body = f.read()
        else:
            parts = []
            while f.tell() < end:
                line = f.readline()
                if not line:
                    break
                parts.append(line)
            body = b"".join(parts)
    return (header + body).decode("utf-8")


# ---------------------------------------------------------------- writing part files


def hive_value(value: Any) -> str:
    """A value as a Hive path segment: escaped like Hive does (%XX for path-unsafe characters)."""
    if value is None or value == "":
        return "__HIVE_DEFAULT_PARTITION__"
    text = str(value)
    out = []
    for ch in text:
        if ch in '"#%\'*/:=?\\\x7f{[]^' or ord(ch) < 0x20:
            out.append("%%%02X" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


class _Sinks:
    """The partition's part files: one, or one per value of the partition columns (key=value/ folders)."""

    def __init__(self, temp_dir: str, index: int, fmt: str, columns: List[str], partition_by: List[str]) -> None:
        self.temp_dir = temp_dir
        self.name = "part-%05d.%s" % (index, "jsonl" if fmt == "jsonl" else "csv")
        self.fmt = fmt
        self.columns = columns
        self.partition_by = partition_by
        self.open: Dict[Tuple[str, ...], Any] = {}
        if not partition_by:
            self._sink(())

    def _sink(self, values: Tuple[str, ...]) -> Any:
        from . import batch

        sink = self.open.get(values)
        if sink is None:
            folder = os.path.join(self.temp_dir, *("%s=%s" % (c, v) for c, v in zip(self.partition_by, values)))
            os.makedirs(folder, exist_ok=True)
            sink = batch._Output(os.path.join(folder, self.name), self.fmt, self.columns).__enter__()
            self.open[values] = sink
        return sink

    def write(self, rows: List[Dict[str, Any]], keys: List[str], outputs: Dict[str, List[Any]], manifest: Any) -> None:
        kept = [k for k in keys if k not in self.partition_by]
        names = [s.name for s in manifest.outputs]
        if not self.partition_by:
            columns = [[r.get(k) for r in rows] for k in kept] + [outputs[n] for n in names]
            self._sink(()).write(columns, len(rows))
            return
        groups: Dict[Tuple[str, ...], List[int]] = {}
        for i, r in enumerate(rows):
            groups.setdefault(tuple(hive_value(r.get(c)) for c in self.partition_by), []).append(i)
        for values, idx in groups.items():
            columns = [[rows[i].get(k) for i in idx] for k in kept] + [[outputs[n][i] for i in idx] for n in names]
            self._sink(values).write(columns, len(idx))

    def commit(self) -> List[str]:
        files = []
        for sink in self.open.values():
            sink.commit()
            files.append(os.path.relpath(sink.path, self.temp_dir))
        return sorted(files)

    def discard(self) -> None:
        for sink in self.open.values():
            sink.__exit__(None, None, None)
