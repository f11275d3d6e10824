"""Import and construct the user's model from its folder.

The model folder is on sys.path (first) and is the working directory (the CLI
makes it so). A reload imports the model's modules afresh: every module whose
file is inside the model folder is dropped from sys.modules first, and put
back if the reload fails, so the old model keeps working.
"""

import importlib
import inspect
import os
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, NamedTuple, Optional

from . import manifest as manifest_mod
from .contract import _LOADING_DIR, DataFrameModel, TensorModel
from .errors import ManifestError, ModelCodeError
from .manifest import Manifest
from .tracebacks import build_report, summary

_BASES = {"dataframe": DataFrameModel, "tensor": TensorModel}


class LoadedModel(NamedTuple):
    manifest: Manifest
    instance: Any
    lock: Optional[Any]  # a threading.Lock unless the manifest says thread_safe: true


def load(model_dir: Path, phase: str = "load") -> LoadedModel:
    """Reads pyml.yaml, imports the model's module afresh and constructs the class.

    Raises ManifestError or ModelCodeError (with the structured traceback).
    """
    model_dir = Path(model_dir).resolve()
    try:
        manifest = manifest_mod.load(model_dir)
    except ManifestError as e:
        e.phase = phase
        raise
    _put_on_path(model_dir)
    saved = _drop_modules(model_dir)
    try:
        instance = _construct(manifest, phase)
    except BaseException:
        _drop_modules(model_dir)
        sys.modules.update(saved)
        raise
    lock = None if manifest.thread_safe else threading.Lock()
    return LoadedModel(manifest, instance, lock)


def _construct(manifest: Manifest, phase: str) -> Any:
    model_dir = manifest.model_dir
    importlib.invalidate_caches()
    try:
        module = importlib.import_module(manifest.module)
    except BaseException as e:  # noqa: B036 - SystemExit in user code must not stop the server
        if isinstance(e, KeyboardInterrupt):
            raise
        if isinstance(e, ModuleNotFoundError) and e.name == manifest.module.split(".")[0] and not _module_file(
            model_dir, manifest.module
        ):
            raise _contract_error(
                phase,
                model_dir,
                "no module '%s' in %s: pyml.yaml says model: %s:%s; create %s.py or fix the `model` key"
                % (manifest.module, model_dir, manifest.module, manifest.class_name, manifest.module.replace(".", "/")),
            ) from None
        raise _code_error(e, phase, model_dir) from None
    where = _module_dir(module)
    if where is not None and not _inside(where, model_dir):
        raise _contract_error(
            phase,
            model_dir,
            "module '%s' was imported from %s, not from the model folder %s; rename the module "
            "(it clashes with an installed one) and fix the `model` key" % (manifest.module, module.__file__, model_dir),
        )
    cls = getattr(module, manifest.class_name, None)
    if not inspect.isclass(cls):
        found = sorted(
            n for n, v in vars(module).items() if inspect.isclass(v) and getattr(v, "__module__", "") == module.__name__
        )
        raise _contract_error(
            phase,
            model_dir,
            "module '%s' has no class '%s' (pyml.yaml `model`); classes defined there: %s"
            % (manifest.module, manifest.class_name, ", ".join(found) or "none"),
        )
    _check_class(cls, manifest, phase)
    token = _LOADING_DIR.set(model_dir)
    try:
        instance = cls()
    except BaseException as e:  # noqa: B036
        if isinstance(e, KeyboardInterrupt):
            raise
        raise _code_error(e, phase, model_dir) from None
    finally:
        _LOADING_DIR.reset(token)
    return instance


def _check_class(cls: type, manifest: Manifest, phase: str) -> None:
    model_dir = manifest.model_dir
    want = _BASES[manifest.kind]
    other = _BASES["tensor" if manifest.kind == "dataframe" else "dataframe"]
    where = _class_frame(cls, model_dir)
    if not issubclass(cls, want):
        if issubclass(cls, other):
            problem = "%s derives from pyml.%s but pyml.yaml says kind: %s; derive from pyml.%s or change `kind`" % (
                cls.__name__,
                other.__name__,
                manifest.kind,
                want.__name__,
            )
        else:
            problem = "%s must derive from pyml.%s (pyml.yaml says kind: %s): class %s(%s)" % (
                cls.__name__,
                want.__name__,
                manifest.kind,
                cls.__name__,
                want.__name__,
            )
        raise _contract_error(phase, model_dir, problem, where)
    abstract = sorted(getattr(cls, "__abstractmethods__", ()) or ())
    if abstract:
        arg = "df" if manifest.kind == "dataframe" else "tensors"
        raise _contract_error(
            phase, model_dir, "%s does not implement %s; add: def predict(self, %s): ..." % (
                cls.__name__, ", ".join(abstract), arg), where
        )
    try:
        init = inspect.signature(cls)
    except (TypeError, ValueError):
        init = None
    if init is not None:
        required = [
            p.name
            for p in init.parameters.values()
            if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        ]
        if required:
            raise _contract_error(
                phase,
                model_dir,
                "%s.__init__ takes arguments (%s) but the runtime constructs it with none; load parameters "
                "from files with self.data_path(...) instead" % (cls.__name__, ", ".join(required)),
                where,
            )
    try:
        predict = inspect.signature(cls.predict)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return
    try:
        predict.bind(None, None)
    except TypeError:
        arg = "df" if manifest.kind == "dataframe" else "tensors"
        raise _contract_error(
            phase,
            model_dir,
            "%s.predict must take one argument besides self: def predict(self, %s)" % (cls.__name__, arg),
            where,
        ) from None


def _contract_error(phase: str, model_dir: Path, message: str, frame: Optional[Dict[str, Any]] = None) -> ModelCodeError:
    report = {
        "type": "pyml.ContractError",
        "message": message,
        "phase": phase,
        "frames": [frame] if frame else [],
        "traceback": "",
        "truncated": False,
    }
    return ModelCodeError(summary(report), report)


def _code_error(exc: BaseException, phase: str, model_dir: Path) -> ModelCodeError:
    tb = exc.__traceback__.tb_next if exc.__traceback__ is not None else None  # skip this module's frame
    while tb is not None and _import_machinery(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next  # start the traceback at the model's own code
    report = build_report(exc, phase, model_dir, tb)
    return ModelCodeError(summary(report), report)


_IMPORTLIB_DIR = os.path.dirname(importlib.__file__)


def _import_machinery(filename: str) -> bool:
    return filename.startswith("<frozen importlib") or os.path.dirname(filename) == _IMPORTLIB_DIR


def _class_frame(cls: type, model_dir: Path) -> Optional[Dict[str, Any]]:
    try:
        file = inspect.getsourcefile(cls)
        lines, start = inspect.getsourcelines(cls)
    except (TypeError, OSError):
        return None
    if not file:
        return None
    real = os.path.realpath(file)
    root = os.path.realpath(str(model_dir))
    inside = real.startswith(root + os.sep)
    return {
        "file": os.path.relpath(real, root).replace(os.sep, "/") if inside else real,
        "line": start,
        "function": "<class %s>" % cls.__name__,
        "code": lines[0].strip() if lines else "",
        "in_model": inside,
    }


def _put_on_path(model_dir: Path) -> None:
    entry = str(model_dir)
    if not sys.path or sys.path[0] != entry:
        if entry in sys.path:
            sys.path.remove(entry)
        sys.path.insert(0, entry)


def _drop_modules(model_dir: Path) -> Dict[str, ModuleType]:
    """Removes the modules loaded from the model folder from sys.modules; returns them."""
    dropped: Dict[str, ModuleType] = {}
    for name, module in list(sys.modules.items()):
        where = _module_dir(module)
        if where is not None and _inside(where, model_dir):
            dropped[name] = sys.modules.pop(name)
    return dropped


def _module_dir(module: Any) -> Optional[Path]:
    file = getattr(module, "__file__", None)
    if file:
        return Path(os.path.realpath(file)).parent
    paths = getattr(module, "__path__", None)  # namespace packages
    try:
        first = next(iter(paths)) if paths is not None else None
    except (StopIteration, TypeError):
        first = None
    return Path(os.path.realpath(first)) if first else None


def _module_file(model_dir: Path, module: str) -> bool:
    base = model_dir.joinpath(*module.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file() or base.is_dir()


def _inside(path: Path, folder: Path) -> bool:
    folder = Path(os.path.realpath(str(folder)))
    return path == folder or folder in path.parents
