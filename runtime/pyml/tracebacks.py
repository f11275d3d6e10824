"""Structured tracebacks of the user's code, for the `pyml-error-bin` trailer.

The report (documented in runtime/README.md, parsed by the extension):

    {"type": "ValueError", "message": "...", "phase": "predict" | "load" | "reload",
     "frames": [{"file": "model.py", "line": 12, "function": "predict",
                 "code": "raise ValueError(...)", "in_model": true}, ...],
     "traceback": "Traceback (most recent call last): ...",
     "truncated": false}

Frames run outermost first, like Python's own traceback; `file` is relative to
the model folder (POSIX separators) when the file is inside it, else absolute.
The JSON is kept under MAX_REPORT_BYTES so that it fits in gRPC's default 8 KiB
metadata limit once base64-encoded; the full text always goes to the server log.
"""

import json
import os
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any, Dict, List, Optional

MAX_REPORT_BYTES = 4096
_MAX_MESSAGE = 1000
_MAX_CODE = 160
_MAX_SUMMARY = 400


def build_report(
    exc: BaseException, phase: str, model_dir: Path, tb: Optional[TracebackType] = None
) -> Dict[str, Any]:
    """The report for exc; tb (default: exc.__traceback__) is where the frames start."""
    tb = exc.__traceback__ if tb is None else tb
    root = os.path.realpath(str(model_dir))
    frames: List[Dict[str, Any]] = []
    for fs in traceback.extract_tb(tb):
        if fs.filename.startswith("<frozen importlib"):
            continue  # Python hides these in its own output too
        frames.append(_frame(fs.filename, fs.lineno, fs.name, fs.line or "", root))
    if isinstance(exc, SyntaxError) and exc.filename:
        # The offending line of a SyntaxError is not a frame of the traceback.
        frames.append(_frame(exc.filename, exc.lineno or 0, "<module>", (exc.text or "").strip(), root))
    text = "".join(traceback.format_exception(type(exc), exc, tb))
    return {
        "type": _type_name(exc),
        "message": _message(exc),
        "phase": phase,
        "frames": frames,
        "traceback": text,
        "truncated": False,
    }


def summary(report: Dict[str, Any]) -> str:
    """One line for the gRPC details: 'ValueError: bad input (model.py:12 in predict)'."""
    head = "%s: %s" % (report["type"], report["message"]) if report["message"] else report["type"]
    head = " ".join(head.split())
    if len(head) > _MAX_SUMMARY:
        head = head[: _MAX_SUMMARY - 3] + "..."
    model_frames = [f for f in report["frames"] if f["in_model"]]
    if model_frames:
        top = model_frames[-1]
        head += " (%s:%d in %s)" % (top["file"], top["line"], top["function"])
    return str(head)


def encode(report: Dict[str, Any], limit: int = MAX_REPORT_BYTES) -> bytes:
    """UTF-8 JSON of the report, shortened to fit `limit` bytes (sets "truncated")."""
    data = _dump(report)
    if len(data) <= limit:
        return data
    r = dict(report, truncated=True)
    r["message"] = _cut(r["message"], _MAX_MESSAGE)
    r["frames"] = [dict(f, code=_cut(f["code"], _MAX_CODE)) for f in r["frames"]]
    data = _dump(r)
    # Shorten the traceback text in its middle, then drop frames not in the model.
    while len(data) > limit and len(r["traceback"]) > 200:
        text = r["traceback"]
        keep = max(100, len(text) - (len(data) - limit) - 120) // 2
        r["traceback"] = "%s\n... (%d characters cut; the full traceback is in the server log) ...\n%s" % (
            text[:keep],
            len(text) - 2 * keep,
            text[-keep:],
        )
        data = _dump(r)
    frames = r["frames"]
    while len(data) > limit and len(frames) > 1:
        # Keep the outermost frame, the model's frames and the innermost frame longest.
        middle = [i for i, f in enumerate(frames[1:-1], 1) if not f["in_model"]] or list(range(1, len(frames) - 1))
        if not middle:
            frames = frames[-1:]
        else:
            frames = frames[: middle[len(middle) // 2]] + frames[middle[len(middle) // 2] + 1 :]
        r["frames"] = frames
        data = _dump(r)
    if len(data) > limit:
        r["traceback"] = ""
        r["message"] = _cut(r["message"], 200)
        data = _dump(r)
    return data


def _frame(filename: str, line: Optional[int], function: str, code: str, root: str) -> Dict[str, Any]:
    absolute = os.path.realpath(filename) if not filename.startswith("<") else filename
    in_model = absolute.startswith(root + os.sep)
    shown = os.path.relpath(absolute, root).replace(os.sep, "/") if in_model else absolute
    return {"file": shown, "line": line or 0, "function": function, "code": code.strip(), "in_model": in_model}


def _type_name(exc: BaseException) -> str:
    cls = type(exc)
    if cls.__module__ in ("builtins", "__main__"):
        return cls.__qualname__
    return "%s.%s" % (cls.__module__, cls.__qualname__)


def _message(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # a user exception whose __str__ raises
        return "<unprintable %s>" % type(exc).__name__


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _dump(report: Dict[str, Any]) -> bytes:
    return json.dumps(report, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
