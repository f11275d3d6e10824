"""pyml.yaml: load and validate the model manifest.

Every problem is a ManifestError whose message names the key
(`inputs[1].dtype`) and says how to fix it. See runtime/README.md for the keys.
"""

import difflib
import logging
import re
from pathlib import Path
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from . import dtypes
from .errors import ManifestError

MANIFEST_FILE = "pyml.yaml"
KINDS = ("dataframe", "tensor")

_TOP_KEYS = ("name", "version", "model", "kind", "inputs", "outputs", "runtime", "thread_safe", "max_batch", "description")
_SPEC_KEYS = ("name", "dtype", "shape", "description")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

log = logging.getLogger("pyml")


class TensorSpec(NamedTuple):
    name: str
    dtype: dtypes.DType
    shape: Tuple[int, ...]  # dataframe columns: (-1,)


class Manifest(NamedTuple):
    path: Path
    name: str
    version: str
    module: str
    class_name: str
    kind: str
    inputs: Tuple[TensorSpec, ...]
    outputs: Tuple[TensorSpec, ...]
    thread_safe: bool
    max_batch: Optional[int]
    runtime: Dict[str, Any]

    @property
    def model_dir(self) -> Path:
        return self.path.parent


def load(model_dir: Path) -> Manifest:
    path = Path(model_dir) / MANIFEST_FILE
    if not path.is_file():
        raise ManifestError(
            "no %s in %s. Create it (see runtime/README.md), e.g. with 'PyML: New Model'."
            % (MANIFEST_FILE, model_dir),
            path=str(path),
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ManifestError("cannot read the file: %s" % e, path=str(path)) from None
    return parse(text, path)


def parse(text: str, path: Path) -> Manifest:
    import yaml  # only here: the server imports this module once

    where = str(path)
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = " at line %d, column %d" % (mark.line + 1, mark.column + 1) if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        raise ManifestError("not valid YAML%s: %s" % (at, problem), path=where) from None
    if not isinstance(doc, dict):
        raise ManifestError(
            "the file must be a YAML mapping with keys name, model, kind, inputs, outputs; got %s"
            % _kind_of(doc),
            path=where,
        )
    _check_keys(doc, _TOP_KEYS, "", where)

    name = _required_str(doc, "name", where, "e.g. name: churn")
    if not _NAME_RE.match(name):
        raise ManifestError(
            "'%s' is not a valid model name: use letters, digits, '_', '-' or '.', starting with a letter or digit"
            % name,
            key="name",
            path=where,
        )
    version = doc.get("version", "0.1.0")
    if isinstance(version, bool) or not isinstance(version, (str, int, float)) or str(version).strip() == "":
        raise ManifestError("must be a non-empty string, e.g. version: 0.1.0", key="version", path=where)
    module, class_name = _model_ref(doc, where)
    kind = doc.get("kind")
    if kind not in KINDS:
        raise ManifestError(
            "must be 'dataframe' (predict takes and returns a pandas DataFrame) or 'tensor' "
            "(predict takes and returns a dict of numpy arrays); got %s" % _show(kind),
            key="kind",
            path=where,
        )
    inputs = _specs(doc, "inputs", kind, where)
    outputs = _specs(doc, "outputs", kind, where)
    thread_safe = doc.get("thread_safe", False)
    if not isinstance(thread_safe, bool):
        raise ManifestError(
            "must be true or false (true lets predict run on several requests at once); got %s" % _show(thread_safe),
            key="thread_safe",
            path=where,
        )
    max_batch = doc.get("max_batch")
    if max_batch is not None and (isinstance(max_batch, bool) or not isinstance(max_batch, int) or max_batch < 1):
        raise ManifestError(
            "must be a positive whole number of rows per request, or be left out; got %s" % _show(max_batch),
            key="max_batch",
            path=where,
        )
    runtime = doc.get("runtime", {}) or {}
    if not isinstance(runtime, dict):
        raise ManifestError(
            "must be a mapping, e.g. runtime: {base_image: python:3.11-slim}; got %s" % _kind_of(runtime),
            key="runtime",
            path=where,
        )
    return Manifest(
        path=path,
        name=name,
        version=str(version).strip(),
        module=module,
        class_name=class_name,
        kind=kind,
        inputs=inputs,
        outputs=outputs,
        thread_safe=thread_safe,
        max_batch=max_batch,
        runtime=runtime,
    )


def _model_ref(doc: Mapping[str, Any], where: str) -> Tuple[str, str]:
    ref = _required_str(doc, "model", where, "give module:Class, e.g. model: model:ChurnModel")
    module, sep, cls = ref.partition(":")
    module, cls = module.strip(), cls.strip()
    parts = module.split(".")
    if not sep or not cls or not all(_IDENT_RE.match(p) for p in parts) or not _IDENT_RE.match(cls):
        raise ManifestError(
            "'%s' is not module:Class. Write the module (the .py file name without .py, "
            "inside the model folder) and the class, e.g. model: model:ChurnModel" % ref,
            key="model",
            path=where,
        )
    return module, cls


def _specs(doc: Mapping[str, Any], key: str, kind: str, where: str) -> Tuple[TensorSpec, ...]:
    what = "columns" if kind == "dataframe" else "tensors"
    example = "- {name: tenure, dtype: int64}" if kind == "dataframe" else "- {name: x, dtype: float32, shape: [-1, 3]}"
    items = doc.get(key)
    if items is None:
        raise ManifestError("is missing: list the model's %s, e.g. %s" % (what, example), key=key, path=where)
    if not isinstance(items, list) or not items:
        raise ManifestError(
            "must be a non-empty list of the model's %s, e.g. %s; got %s" % (what, example, _kind_of(items)),
            key=key,
            path=where,
        )
    specs: List[TensorSpec] = []
    seen: Dict[str, int] = {}
    for i, item in enumerate(items):
        at = "%s[%d]" % (key, i)
        if not isinstance(item, dict):
            raise ManifestError("must be a mapping like %s; got %s" % (example[2:], _kind_of(item)), key=at, path=where)
        _check_keys(item, _SPEC_KEYS, at + ".", where)
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ManifestError("is missing or empty: give the %s's name" % what[:-1], key=at + ".name", path=where)
        if name in seen:
            raise ManifestError(
                "'%s' is declared twice (also %s[%d]); names must be unique" % (name, key, seen[name]),
                key=at + ".name",
                path=where,
            )
        seen[name] = i
        raw_dtype = item.get("dtype")
        dtype = dtypes.from_manifest(raw_dtype) if isinstance(raw_dtype, str) else None
        if dtype is None:
            raise ManifestError(
                "%s is not a dtype; use one of %s" % (_show(raw_dtype), dtypes.manifest_names_help()),
                key=at + ".dtype",
                path=where,
            )
        specs.append(TensorSpec(name, dtype, _shape(item, kind, at, where)))
    return tuple(specs)


def _shape(item: Mapping[str, Any], kind: str, at: str, where: str) -> Tuple[int, ...]:
    shape = item.get("shape")
    if kind == "dataframe":
        if shape is not None and shape != [-1]:
            raise ManifestError(
                "a DataFrame column has one value per row; remove 'shape' (or write shape: [-1])",
                key=at + ".shape",
                path=where,
            )
        return (-1,)
    if shape is None:
        raise ManifestError(
            "is missing: give the tensor's dimensions, -1 for any size, e.g. shape: [-1, 3]",
            key=at + ".shape",
            path=where,
        )
    if (
        not isinstance(shape, list)
        or not all(isinstance(d, int) and not isinstance(d, bool) and (d >= 0 or d == -1) for d in shape)
    ):
        raise ManifestError(
            "must be a list of sizes, -1 for any size, e.g. shape: [-1, 3]; got %s" % _show(shape),
            key=at + ".shape",
            path=where,
        )
    return tuple(shape)


def _check_keys(doc: Mapping[str, Any], known: Sequence[str], prefix: str, where: str) -> None:
    for key in doc:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.75)
        if close:
            raise ManifestError("unknown key; did you mean '%s'?" % close[0], key=prefix + str(key), path=where)
        if not prefix:
            # Other tools may add their own top-level keys: tolerate, but say so.
            log.warning("%s: unknown key '%s' ignored by the runtime", where, key)
        else:
            raise ManifestError("unknown key; allowed keys are %s" % ", ".join(known), key=prefix + str(key), path=where)


def _required_str(doc: Mapping[str, Any], key: str, where: str, hint: str) -> str:
    value = doc.get(key)
    if value is None:
        raise ManifestError("is missing: %s" % hint, key=key, path=where)
    if not isinstance(value, str) or not value.strip():
        raise ManifestError("must be a non-empty string: %s; got %s" % (hint, _show(value)), key=key, path=where)
    return value.strip()


def _kind_of(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
