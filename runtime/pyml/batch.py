"""Offline batch prediction inside the model image: `python3 -m pyml batch` (see docs/batch.md).

    python3 -m pyml batch MODEL_DIR --input rows.csv --output predictions.csv \
        [--keys id,day] [--rows-per-batch 10000] [--input-format csv|jsonl] [--output-format csv|jsonl]

`python3 -m pyml.batch MODEL_DIR ...` runs the same command (cli.py dispatches `batch` here).

Rows go through the same code path as online serving: each batch becomes a ModelInferRequest with
raw contents (one tensor per column, `content_type: "pd"`), serialized, split by wire.py and
answered by DataPlane.infer -- the codecs, the checks and the user's predict() that the gRPC
server runs -- and the answer is decoded from its serialized form. Only the transport is missing.

Formats: CSV (RFC 4180, header row) and JSON lines, read and written with the standard library.
Arrow IPC and Parquet need pyarrow, which the base images do not have (Debian packages no
pyarrow); use the extension (PyML: Run Batch Prediction), or convert with DuckDB first.

Values are read as the extension reads them: in CSV an empty field is a missing value in numeric
and bool columns and an empty string in text columns; floats accept NaN/inf/Infinity; integers
must be whole numbers in range; bools are true/false/1/0. Missing floats travel as NaN, other
missing values with a validity companion (runtime/README.md). Floats are written in the shortest
text that reads back to the same value.

The output is written to a hidden temporary file next to it and renamed only when every batch
succeeded; a failure names the batch's rows (one-based, as people count data rows) and the error.

Exit codes: 0 done; 1 a batch failed or the run was interrupted; 2 usage, manifest or input
schema problem; 3 the model's code failed to load.
"""

import argparse
import csv
import json
import logging
import math
import os
import re
import signal
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, TextIO, Tuple

EXIT_OK, EXIT_ERROR, EXIT_CONFIG, EXIT_MODEL = 0, 1, 2, 3
DEFAULT_ROWS_PER_BATCH = 10000
FORMATS = ("csv", "jsonl")
_EXTENSIONS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}

log = logging.getLogger("pyml")


class BatchError(Exception):
    """A problem that stops the run; `code` is the exit code."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class Interrupted(Exception):
    pass


# ---------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The `batch` subcommand's arguments (the CLI dispatcher adds them to its subparser)."""
    parser.add_argument("model_dir", metavar="MODEL_DIR", help="folder holding pyml.yaml (in an image: /opt/pyml/model)")
    parser.add_argument("--input", required=True, metavar="FILE", help="rows to predict: CSV or JSON lines ('-' for stdin)")
    parser.add_argument("--output", required=True, metavar="FILE", help="where to write keys and outputs ('-' for stdout)")
    parser.add_argument("--input-format", choices=FORMATS, help="default: from the input's extension (.csv, .tsv, .jsonl)")
    parser.add_argument("--output-format", choices=FORMATS, help="default: from the output's extension")
    parser.add_argument("--keys", default="", metavar="A,B", help="input columns to carry through next to the outputs")
    parser.add_argument(
        "--rows-per-batch", type=int, default=DEFAULT_ROWS_PER_BATCH, metavar="N", help="rows per predict call (default %d)" % DEFAULT_ROWS_PER_BATCH
    )
    parser.add_argument("--delimiter", default=None, metavar="C", help="CSV field delimiter (default ',' or a tab for .tsv)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = add_arguments(argparse.ArgumentParser(prog="python3 -m pyml batch", description="PyML offline batch prediction"))
    return run(parser.parse_args(argv))


def run(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGTERM, _on_signal)
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(name)s %(levelname)s %(message)s")
    log.setLevel(getattr(logging, str(getattr(args, "log_level", "warning")).upper()))
    sys.dont_write_bytecode = True
    try:
        job = _Job(args)
        job.run()
        return EXIT_OK
    except BatchError as e:
        print("pyml: batch: error: %s" % e.message, file=sys.stderr, flush=True)
        return e.code
    except (Interrupted, KeyboardInterrupt):
        print("pyml: batch: interrupted; no output was written", file=sys.stderr, flush=True)
        return EXIT_ERROR


# ---------------------------------------------------------------- the run


class _Job:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.model_dir = Path(args.model_dir).resolve()
        if not self.model_dir.is_dir():
            raise BatchError("model folder %s does not exist" % self.model_dir, EXIT_CONFIG)
        if args.rows_per_batch < 1:
            raise BatchError("--rows-per-batch must be at least 1, got %d" % args.rows_per_batch, EXIT_CONFIG)
        self.input_format = args.input_format or _format_of(args.input, "--input-format")
        self.output_format = args.output_format or _format_of(args.output, "--output-format")
        self.keys = [k.strip() for k in args.keys.split(",") if k.strip()]
        self.delimiter = args.delimiter or ("\t" if str(args.input).lower().endswith(".tsv") else ",")

    def run(self) -> None:
        from . import manifest as manifest_mod
        from .dataplane import DataPlane
        from .errors import ManifestError, ModelCodeError

        try:
            manifest = manifest_mod.load(self.model_dir)
        except ManifestError as e:
            raise BatchError(e.message, EXIT_CONFIG) from None
        _check_kind(manifest)
        with _open_input(self.args.input) as stream:
            reader = _reader(self.input_format, stream, self.delimiter, self.args.input)
            columns = reader.columns()
            _check_columns(manifest, columns, self.keys)  # before the model is even loaded
            os.chdir(self.model_dir)
            dataplane = DataPlane(self.model_dir)
            try:
                dataplane.load("load")
            except ManifestError as e:
                raise BatchError(e.message, EXIT_CONFIG) from None
            except ModelCodeError as e:
                raise BatchError("cannot load the model: %s\n%s" % (e.message, (e.report or {}).get("traceback", "")), EXIT_MODEL) from None
            with _Output(self.args.output, self.output_format, self.keys + [s.name for s in manifest.outputs]) as out:
                self._predict_all(dataplane, manifest, reader, out)

    def _predict_all(self, dataplane: Any, manifest: Any, reader: "_Reader", out: "_Output") -> None:
        started = time.monotonic()
        last_report = started
        rows_done = 0
        batch_no = 0
        for rows in reader.batches(self.args.rows_per_batch):
            batch_no += 1
            start, end = rows_done, rows_done + len(rows)
            try:
                inputs = {s.name: _column(s, [r.get(s.name) for r in rows], self.input_format, start) for s in manifest.inputs}
                outputs = predict(dataplane, manifest, inputs, len(rows), "batch-%d" % batch_no)
            except _ValueProblem as e:
                raise BatchError(str(e)) from None
            except (Interrupted, KeyboardInterrupt):
                raise
            except Exception as e:  # noqa: BLE001 - every failure names its batch
                raise BatchError("batch %d (%s) failed: %s" % (batch_no, _rows(start, end), _message(e))) from None
            keys = [[r.get(k) for r in rows] for k in self.keys]
            out.write(keys + [outputs[s.name] for s in manifest.outputs], len(rows))
            rows_done = end
            now = time.monotonic()
            if not self.args.quiet and now - last_report >= 2.0:
                last_report = now
                rate = rows_done / max(now - started, 1e-9)
                print("pyml: batch: %d rows, %.0f rows/s" % (rows_done, rate), file=sys.stderr, flush=True)
        out.commit()
        if not self.args.quiet:
            took = time.monotonic() - started
            print(
                "pyml: batch: wrote %d rows in %d batches to %s in %.1fs" % (rows_done, batch_no, self.args.output, took),
                file=sys.stderr,
                flush=True,
            )


# ---------------------------------------------------------------- through the data plane


def predict(dataplane: Any, manifest: Any, columns: Dict[str, Tuple[Any, Optional[Any]]], rows: int, request_id: str) -> Dict[str, List[Any]]:
    """One batch through DataPlane.infer, serialized both ways as gRPC would carry it.

    `columns` maps each input to (values array in the wire dtype, validity or None). Returns each
    output's values as a Python list (None where missing).
    """
    from . import codecs, wire
    from .proto import grpc_predict_v2_pb2 as pb

    request = pb.ModelInferRequest(model_name=manifest.name, id=request_id)
    dataframe = manifest.kind == "dataframe"
    if dataframe:
        request.parameters[wire.CONTENT_TYPE].string_param = wire.CONTENT_TYPE_DATAFRAME
    raw: List[bytes] = []
    for spec in manifest.inputs:
        values, valid = columns[spec.name]
        shape = [rows] if dataframe or len(spec.shape) == 1 else [rows, 1]
        request.inputs.add(name=spec.name, datatype=spec.dtype.datatype, shape=shape)
        raw.append(bytes(codecs.encode_raw(spec.dtype, values)))
        if valid is not None:
            companion = request.inputs.add(name=spec.name + wire.VALIDITY_SUFFIX, datatype="BOOL", shape=shape)
            companion.parameters[wire.VALIDITY_PARAM].string_param = spec.name
            raw.append(valid.astype("|b1").tobytes())
    request.raw_input_contents.extend(raw)
    head, raw_out = dataplane.infer(wire.parse_infer_request(request.SerializeToString()))
    response = pb.ModelInferResponse.FromString(wire.serialize_infer_response(head, raw_out))
    return _decode_outputs(manifest, response, rows)


def _decode_outputs(manifest: Any, response: Any, rows: int) -> Dict[str, List[Any]]:
    from . import codecs, wire
    from .dtypes import BY_NAME

    boolean = BY_NAME["bool"]

    by_name = {t.name: i for i, t in enumerate(response.outputs)}
    out: Dict[str, List[Any]] = {}
    for spec in manifest.outputs:
        i = by_name.get(spec.name)
        if i is None:
            raise ValueError("the answer has no output '%s'" % spec.name)
        tensor = response.outputs[i]
        raw = response.raw_output_contents[i] if len(response.raw_output_contents) > i else b""
        if raw or not tensor.HasField("contents"):
            values = codecs.decode_raw(spec.name, spec.dtype, list(tensor.shape), raw, True)
        else:
            values = codecs.decode_typed(spec.name, spec.dtype, list(tensor.shape), tensor.contents).reshape(-1)
        if len(values) != rows:
            raise ValueError("output '%s' has %d rows for a batch of %d" % (spec.name, len(values), rows))
        # float32/float16 stay numpy scalars, so they are written in their own shortest form.
        items = list(values) if spec.dtype.datatype in ("FP32", "FP16") else values.tolist()
        j = by_name.get(spec.name + wire.VALIDITY_SUFFIX)
        if j is not None:
            valid = codecs.decode_raw(spec.name + wire.VALIDITY_SUFFIX, boolean, [rows], response.raw_output_contents[j], True)
            items = [v if ok else None for v, ok in zip(items, valid.tolist())]
        out[spec.name] = items
    return out


# ---------------------------------------------------------------- schema and values


def _check_kind(manifest: Any) -> None:
    if manifest.kind == "dataframe":
        return
    for spec in list(manifest.inputs) + list(manifest.outputs):
        shape = list(spec.shape)
        if not (shape and shape[0] == -1 and (len(shape) == 1 or (len(shape) == 2 and shape[1] == 1))):
            raise BatchError(
                "tensor '%s' has shape %s: batch prediction of tensor models needs every input and output of shape [-1] or [-1, 1]"
                % (spec.name, shape),
                EXIT_CONFIG,
            )


def _check_columns(manifest: Any, columns: Sequence[str], keys: Sequence[str]) -> None:
    problems = []
    for spec in manifest.inputs:
        if spec.name not in columns:
            problems.append("'%s': the model needs this input column (%s) but the input has no such column" % (spec.name, spec.dtype.name))
    outputs = {s.name for s in manifest.outputs}
    seen = set()
    for key in keys:
        if key in seen:
            problems.append("'%s': is listed twice as a key column" % key)
        elif key not in columns:
            problems.append("'%s': is asked for as a key column but the input has no such column" % key)
        elif key in outputs:
            problems.append("'%s': is a key column with the name of a model output; the output cannot hold both" % key)
        seen.add(key)
    if problems:
        raise BatchError(
            "the input does not match the model; no row was sent:\n  - %s\nThe input has: %s."
            % ("\n  - ".join(problems), ", ".join(columns) or "no columns"),
            EXIT_CONFIG,
        )


class _ValueProblem(Exception):
    pass


_TRUE = {"true", "1"}
_FALSE = {"false", "0"}
# The value grammar of text (src/tables/values.ts; test/fixtures/shared/values.json holds both to it).
_FLOAT_TEXT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?:nan|inf|infinity)", re.ASCII | re.IGNORECASE)
_NON_FINITE_TEXT = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_WHOLE_TEXT = re.compile(r"[+-]?\d+", re.ASCII)


def _column(spec: Any, values: List[Any], fmt: str, row_start: int) -> Tuple[Any, Optional[Any]]:
    """Input values (CSV text or JSON values) -> (array in the wire dtype, validity or None)."""
    import numpy as np

    dtype = spec.dtype
    n = len(values)
    valid = np.ones(n, dtype=bool)

    def bad(i: int, what: str) -> _ValueProblem:
        return _ValueProblem("row %d, column '%s': %s (the model declares %s)" % (row_start + i + 1, spec.name, what, dtype.name))

    if dtype.is_bytes:
        out = np.empty(n, dtype=object)
        for i, v in enumerate(values):
            if v is None:
                valid[i] = False
                v = ""
            elif not isinstance(v, str):
                if fmt == "jsonl":
                    raise bad(i, "%r is not a string" % (v,))
                v = str(v)
            out[i] = v if dtype.is_text else v.encode("utf-8")
        return out, (None if valid.all() else valid)

    out = np.zeros(n, dtype=dtype.wire)
    largest = float(np.finfo(dtype.wire).max) if dtype.is_float else math.inf
    for i, v in enumerate(values):
        if isinstance(v, str):
            # JSON values are typed: a string is a number only as NaN/Infinity; CSV text follows the grammar.
            if fmt == "jsonl" and not (dtype.is_float and _NON_FINITE_TEXT.fullmatch(v)):
                raise bad(i, "%r is not %s" % (v, "a number" if dtype.is_float else "a whole number" if dtype.is_integer else "true or false"))
            v = v.strip()
            if v == "":
                v = None
            elif dtype.is_float and not _FLOAT_TEXT.fullmatch(v):
                raise bad(i, "%r is not a number" % (v,))
            elif dtype.is_integer and not _WHOLE_TEXT.fullmatch(v):
                raise bad(i, "%r is not a whole number" % (v,))
        if v is None:
            valid[i] = False
            if dtype.is_float:
                out[i] = math.nan
            continue
        if dtype.is_float:
            try:
                if isinstance(v, bool) or not isinstance(v, (int, float, str)):
                    raise ValueError
                x = float(v)
            except ValueError:
                raise bad(i, "%r is not a number" % (v,)) from None
            if abs(x) > largest and not math.isinf(x):
                raise bad(i, "%s is out of range for %s (largest %s)" % (v, dtype.datatype, largest))
            out[i] = x
        elif dtype.datatype == "BOOL":
            if isinstance(v, bool):
                out[i] = v
            elif isinstance(v, str) and v.lower() in _TRUE | _FALSE:
                out[i] = v.lower() in _TRUE
            else:
                raise bad(i, "%r is not true, false, 1 or 0" % (v,))
        else:
            if isinstance(v, bool) or isinstance(v, float) and not v.is_integer():
                raise bad(i, "%r is not a whole number" % (v,))
            try:
                whole = int(v)
            except ValueError:
                raise bad(i, "%r is not a whole number" % (v,)) from None
            info = np.iinfo(dtype.wire)
            if whole < info.min or whole > info.max:
                raise bad(i, "%d is out of range (%d to %d)" % (whole, info.min, info.max))
            out[i] = whole
    # Floats carry missing values as NaN; the others need a validity companion.
    return out, (None if dtype.is_float or valid.all() else valid)


# ---------------------------------------------------------------- input


class _Reader:
    def columns(self) -> List[str]:
        raise NotImplementedError

    def batches(self, size: int) -> Iterator[List[Dict[str, Any]]]:
        raise NotImplementedError


class _CsvReader(_Reader):
    def __init__(self, stream: TextIO, delimiter: str, name: str) -> None:
        self.name = name
        self.rows = csv.reader(stream, delimiter=delimiter, strict=True)
        try:
            header = next(self.rows)
        except StopIteration:
            raise BatchError("%s is empty: a CSV input needs a header row with the column names" % name, EXIT_CONFIG) from None
        except csv.Error as e:
            raise BatchError("%s: %s" % (name, e), EXIT_CONFIG) from None
        self.header = [h.strip() for h in header]
        if self.header:
            self.header[0] = self.header[0].lstrip("\ufeff")
        dupes = sorted({h for h in self.header if self.header.count(h) > 1})
        if dupes:
            raise BatchError("%s: the header names column '%s' twice" % (name, dupes[0]), EXIT_CONFIG)

    def columns(self) -> List[str]:
        return list(self.header)

    def batches(self, size: int) -> Iterator[List[Dict[str, Any]]]:
        width = len(self.header)
        batch: List[Dict[str, Any]] = []
        row_no = 0
        try:
            for fields in self.rows:
                if not fields:
                    continue  # an empty line
                row_no += 1
                if len(fields) != width:
                    raise BatchError("%s: row %d has %d fields but the header has %d" % (self.name, row_no, len(fields), width))
                batch.append(dict(zip(self.header, fields)))
                if len(batch) == size:
                    yield batch
                    batch = []
        except csv.Error as e:
            raise BatchError("%s: row %d: %s" % (self.name, row_no + 1, e)) from None
        if batch:
            yield batch


class _JsonLinesReader(_Reader):
    SAMPLE = 1000

    def __init__(self, stream: TextIO, name: str) -> None:
        self.name = name
        self.stream = stream
        self.line_no = 0
        self.head: List[Dict[str, Any]] = []
        names: Dict[str, None] = {}
        for obj in self._objects():
            self.head.append(obj)
            for k in obj:
                names.setdefault(k, None)
            if len(self.head) >= self.SAMPLE:
                break
        if not self.head:
            raise BatchError("%s holds no JSON objects" % name, EXIT_CONFIG)
        self.names = list(names)

    def _objects(self) -> Iterator[Dict[str, Any]]:
        for line in self.stream:
            self.line_no += 1
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as e:
                raise BatchError("%s: line %d is not JSON (%s)" % (self.name, self.line_no, e)) from None
            if not isinstance(obj, dict):
                raise BatchError("%s: line %d is not a JSON object; JSON lines input needs one object per line" % (self.name, self.line_no))
            yield obj

    def columns(self) -> List[str]:
        return list(self.names)

    def batches(self, size: int) -> Iterator[List[Dict[str, Any]]]:
        batch: List[Dict[str, Any]] = []
        head, self.head = self.head, []
        for obj in _chain(head, self._objects()):
            batch.append(obj)
            if len(batch) == size:
                yield batch
                batch = []
        if batch:
            yield batch


def _chain(first: List[Dict[str, Any]], rest: Iterator[Dict[str, Any]]) -> Iterator[Dict[str, Any]]:
    yield from first
    yield from rest


def _reader(fmt: str, stream: TextIO, delimiter: str, name: str) -> _Reader:
    return _CsvReader(stream, delimiter, name) if fmt == "csv" else _JsonLinesReader(stream, name)


class _open_input:
    def __init__(self, path: str) -> None:
        self.path = path
        self.stream: Optional[TextIO] = None

    def __enter__(self) -> TextIO:
        if self.path == "-":
            return sys.stdin
        try:
            self.stream = open(self.path, "r", encoding="utf-8", newline="")
        except OSError as e:
            raise BatchError("cannot read %s: %s" % (self.path, e.strerror or e), EXIT_CONFIG) from None
        return self.stream

    def __exit__(self, *exc: Any) -> None:
        if self.stream is not None:
            self.stream.close()


# ---------------------------------------------------------------- output


def float_text(v: float) -> str:
    """The shortest text that reads back as the same float (Python's repr), as the extension writes it."""
    if v != v:
        return "NaN"
    if v == math.inf:
        return "Infinity"
    if v == -math.inf:
        return "-Infinity"
    text = repr(v)
    return text[:-2] if text.endswith(".0") else text


class _Output:
    """Writes to a hidden temporary file next to the output, renamed only by commit()."""

    def __init__(self, path: str, fmt: str, columns: List[str]) -> None:
        self.path = path
        self.fmt = fmt
        self.columns = columns
        self.temp: Optional[str] = None
        self.stream: Optional[TextIO] = None
        self.done = False

    def __enter__(self) -> "_Output":
        if self.path == "-":
            self.stream = sys.stdout
        else:
            folder, base = os.path.split(os.path.abspath(self.path))
            if not os.path.isdir(folder):
                raise BatchError("cannot write %s: the folder %s does not exist" % (self.path, folder), EXIT_CONFIG)
            self.temp = os.path.join(folder, ".%s.%s.partial" % (base, os.urandom(4).hex()))
            self.stream = open(self.temp, "x", encoding="utf-8", newline="")
        if self.fmt == "csv":
            self.csv = csv.writer(self.stream, lineterminator="\n")
            self.csv.writerow(self.columns)
        return self

    def write(self, columns: List[List[Any]], rows: int) -> None:
        assert self.stream is not None
        if self.fmt == "csv":
            self.csv.writerows([[_csv_cell(c[i]) for c in columns] for i in range(rows)])
        else:
            lines = []
            for i in range(rows):
                lines.append(json.dumps({name: _json_cell(c[i]) for name, c in zip(self.columns, columns)}, ensure_ascii=False, allow_nan=False))
            self.stream.write("\n".join(lines) + "\n")

    def commit(self) -> None:
        assert self.stream is not None
        if self.temp is None:
            self.stream.flush()
        else:
            self.stream.close()
            os.replace(self.temp, self.path)
        self.done = True

    def __exit__(self, *exc: Any) -> None:
        if self.done or self.temp is None:
            return
        if self.stream is not None:
            self.stream.close()
        try:
            os.unlink(self.temp)
        except OSError:
            pass


def _csv_cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return float_text(v)
    if hasattr(v, "dtype") and getattr(v.dtype, "kind", "") == "f":  # a float32/float16 scalar
        return _small_float_text(v)
    if isinstance(v, bytes):
        import base64

        return base64.b64encode(v).decode("ascii")
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def _small_float_text(v: Any) -> str:
    """numpy's shortest text for a float32/float16 scalar (str() is the same in numpy 1 and 2)."""
    f = float(v)
    if f != f or f in (math.inf, -math.inf):
        return float_text(f)
    text = str(v)
    return text[:-2] if text.endswith(".0") else text


def _json_cell(v: Any) -> Any:
    if hasattr(v, "dtype") and getattr(v.dtype, "kind", "") == "f":
        v = float(_small_float_text(v))
    if isinstance(v, float) and (v != v or v in (math.inf, -math.inf)):
        return None  # JSON has no NaN or infinity
    if isinstance(v, bytes):
        import base64

        return base64.b64encode(v).decode("ascii")
    return v


# ---------------------------------------------------------------- helpers


def _format_of(path: str, flag: str) -> str:
    ext = os.path.splitext(str(path))[1].lower()
    fmt = _EXTENSIONS.get(ext)
    if fmt is None:
        if ext in (".parquet", ".arrow", ".feather", ".arrows"):
            raise BatchError(
                "%s: Parquet and Arrow need pyarrow, which this image does not have; use CSV or JSON lines here, "
                "or the extension's PyML: Run Batch Prediction, which reads and writes them" % path,
                EXIT_CONFIG,
            )
        raise BatchError("%s: unknown format; give %s csv or jsonl" % (path, flag), EXIT_CONFIG)
    return fmt


def _rows(start: int, end: int) -> str:
    return "row %d of the input" % (start + 1) if end - start == 1 else "rows %d-%d of the input" % (start + 1, end)


def _message(e: BaseException) -> str:
    message = getattr(e, "message", None) or str(e) or type(e).__name__
    return str(message)


def _on_signal(signum: int, frame: Any) -> None:
    raise Interrupted()


if __name__ == "__main__":
    sys.exit(main())
