"""The serving core: health, metadata, inference and reload, with no transport.

It takes V2 protobuf messages (and raw content buffers), returns messages or
serialized responses, and raises PymlError subclasses; grpc_server.py is the
thin gRPC adapter on top.
"""

import logging
import struct
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Set, Tuple

import numpy as np

from . import __version__, allocator, codecs, dtypes, loader, shm, wire
from .dtypes import DType
from .errors import InvalidInput, InvalidRequest, ModelCodeError, ModelNotFound, ModelUnavailable, PymlError
from .manifest import Manifest, TensorSpec
from .proto import grpc_predict_v2_pb2 as pb
from .tracebacks import build_report, summary
from .wire import CONTENT_TYPE, CONTENT_TYPE_DATAFRAME, CONTENT_TYPE_TEXT, PREDICT_MS_PARAM, VALIDITY_PARAM, VALIDITY_SUFFIX

log = logging.getLogger("pyml")

SERVER_NAME = "pyml"
EXTENSIONS = ["model_repository"]

_BOOL = dtypes.BY_NAME["bool"]


def _predict_ms_field(ms: float) -> bytes:
    """ModelInferResponse.parameters[PREDICT_MS_PARAM].double_param as wire bytes.

    A map entry is a length-delimited field 4 holding key (1) and InferParameter (2), whose
    double_param is field 4 (fixed64). Map entries may follow the other fields, so the entry is
    appended to a cached response head without re-serializing it.
    """
    return _PREDICT_MS_PREFIX + struct.pack("<d", ms)


def _map_entry_prefix(key: str) -> bytes:
    name = key.encode()
    param_len = 1 + 8
    entry_len = 2 + len(name) + 2 + param_len
    return bytes([0x22, entry_len, 0x0A, len(name)]) + name + bytes([0x12, param_len, 0x21])


_PREDICT_MS_PREFIX = _map_entry_prefix(PREDICT_MS_PARAM)

_MAX_CACHED_KEY = 64 * 1024  # bytes of request metadata worth caching a layout for

# One output of a response: (spec, values, shape, validity or None)
Output = Tuple[TensorSpec, Any, List[int], Optional["np.ndarray"]]


class _Plan:
    """What one loaded model needs on every request, computed once."""

    def __init__(self, model: loader.LoadedModel) -> None:
        m = model.manifest
        self.model = model
        self.manifest = m
        self.dataframe = m.kind == "dataframe"
        self.inputs = {s.name: s for s in m.inputs}
        self.outputs = {s.name: s for s in m.outputs}
        self.input_names = ", ".join(s.name for s in m.inputs)
        self.output_names = ", ".join(s.name for s in m.outputs)
        self.heads = wire.HeadCache(self._build_head)
        # Heads of DataFrame answers with every output column, by row count.
        self.frame_heads = wire.HeadCache(
            lambda rows: self._build_head(tuple((s.name, (rows,), False) for s in m.outputs))
        )
        # Checked layouts of raw requests, by request key (see wire.py).
        self.layouts: Dict[bytes, "_Layout"] = {}
        self.frame_layout: Any = None
        if self.dataframe:
            from . import frames

            self.frame_layout = frames.FrameLayout(m.inputs, m.outputs)

    def remember(self, key: bytes, layout: "_Layout") -> None:
        if len(self.layouts) >= 256:
            self.layouts.clear()
        self.layouts[key] = layout

    def new_response(self) -> Any:
        m = self.manifest
        response = pb.ModelInferResponse(model_name=m.name, model_version=m.version)
        if self.dataframe:
            response.parameters[CONTENT_TYPE].string_param = CONTENT_TYPE_DATAFRAME
        return response

    def _build_head(self, described: Tuple[Tuple[str, Tuple[int, ...], bool], ...]) -> bytes:
        response = self.new_response()
        for name, shape, companion in described:
            _add_output(response, self.outputs[name], shape, companion)
        return response.SerializeToString()  # type: ignore[no-any-return]


class DataPlane:
    def __init__(self, model_dir: Path) -> None:
        allocator.keep_freed_memory()  # requests of megabytes reuse warm buffers (allocator.py)
        self.model_dir = Path(model_dir).resolve()
        self._plan: Optional[_Plan] = None
        self._state = "LOADING"
        self._reason = ""
        self._reload_lock = threading.Lock()
        # System shared memory (Triton's extension): regions in PYML_SHM_DIR, shared by every process.
        self.shm = shm.SharedMemory.from_environment()

    # ------------------------------------------------------------ lifecycle

    def load(self, phase: str = "load") -> loader.LoadedModel:
        """Loads (or reloads) the model; on failure the current model stays and the error is raised."""
        with self._reload_lock:
            started = time.monotonic()
            try:
                model = loader.load(self.model_dir, phase)
            except PymlError as e:
                if self._plan is None:
                    self._state, self._reason = "UNAVAILABLE", e.message
                raise
            self._plan = _Plan(model)  # one assignment: requests see the old or the new model
            self._state, self._reason = "READY", ""
            m = model.manifest
            log.info("loaded %s %s (%s) in %.2fs", m.name, m.version, m.kind, time.monotonic() - started)
            return model

    def unload(self, name: str) -> None:
        with self._reload_lock:
            self._require(name, "")
            self._plan = None
            self._state, self._reason = "UNAVAILABLE", "unloaded"

    @property
    def manifest(self) -> Optional[Manifest]:
        plan = self._plan
        return plan.manifest if plan else None

    # ------------------------------------------------------------ health and metadata

    def server_live(self) -> Any:
        return pb.ServerLiveResponse(live=True)

    def server_ready(self) -> Any:
        return pb.ServerReadyResponse(ready=self._plan is not None)

    def model_ready(self, request: Any) -> Any:
        if self._plan is None:
            return pb.ModelReadyResponse(ready=False)
        self._require(request.name, request.version)
        return pb.ModelReadyResponse(ready=True)

    def server_metadata(self) -> Any:
        extensions = EXTENSIONS + [shm.EXTENSION] if self.shm.enabled else EXTENSIONS
        return pb.ServerMetadataResponse(name=SERVER_NAME, version=__version__, extensions=extensions)

    def model_metadata(self, request: Any) -> Any:
        m = self._require(request.name, request.version).manifest
        response = pb.ModelMetadataResponse(name=m.name, versions=[m.version], platform="pyml")
        if m.kind == "dataframe":
            response.parameters[CONTENT_TYPE].string_param = CONTENT_TYPE_DATAFRAME
        response.parameters["kind"].string_param = m.kind
        response.parameters["thread_safe"].bool_param = m.thread_safe
        if m.max_batch is not None:
            response.parameters["max_batch"].int64_param = m.max_batch
        for specs, target in ((m.inputs, response.inputs), (m.outputs, response.outputs)):
            for spec in specs:
                tensor = target.add(name=spec.name, datatype=spec.dtype.datatype, shape=list(spec.shape))
                if spec.dtype.is_text:
                    tensor.parameters[CONTENT_TYPE].string_param = CONTENT_TYPE_TEXT
                tensor.parameters["dtype"].string_param = spec.dtype.name
        return response

    def repository_index(self) -> Any:
        response = pb.RepositoryIndexResponse()
        plan = self._plan
        if plan is not None:
            response.models.add(name=plan.manifest.name, version=plan.manifest.version, state="READY")
        else:
            response.models.add(name=self.model_dir.name, state=self._state, reason=self._reason)
        return response

    # ------------------------------------------------------------ inference

    def infer(self, request: wire.InferRequest) -> Tuple[bytes, List[codecs.Buffer]]:
        """A split ModelInferRequest -> serialized response head + raw output contents.

        wire.serialize_infer_response(head, raw_out) is the full ModelInferResponse.
        Inputs and outputs that name a shared-memory region are read from and written to it (shm.py).
        """
        if shm.SharedMemory.names_region(request):
            resolved = self.shm.resolve(request)
            head, raw_out = self._infer(resolved.request)
            if resolved.outputs:
                return self.shm.place_outputs(resolved.outputs, head, raw_out)
            return head, raw_out
        return self._infer(request)

    def _infer(self, request: wire.InferRequest) -> Tuple[bytes, List[codecs.Buffer]]:
        plan = self._plan
        if plan is None:
            raise self._unavailable()
        raw = request.raw
        layout = plan.layouts.get(request.key) if raw else None
        if layout is None or len(raw) != len(layout.entries):
            message = request.message()
            plan = self._require(message.model_name, message.model_version)
            layout = _check_request(plan, message, len(raw))
            if raw and len(request.key) <= _MAX_CACHED_KEY:
                plan.remember(request.key, layout)
        m = plan.manifest
        wanted = layout.wanted

        if plan.dataframe:
            frame = plan.frame_layout.build_from_raw(raw, layout.block) if layout.block is not None else None
            if frame is None:
                arrays, validity = _decode(layout, request, raw)
                frame = plan.frame_layout.build(arrays, validity, _rows(m, arrays))
            started = time.perf_counter()
            predicted = self._predict(plan.model, frame)
            predict_ms = (time.perf_counter() - started) * 1000.0
            outputs = _frame_outputs(plan, predicted)
        else:
            arrays, _ = _decode(layout, request, raw)
            started = time.perf_counter()
            predicted = self._predict(plan.model, arrays)
            predict_ms = (time.perf_counter() - started) * 1000.0
            outputs = _tensor_outputs(m, predicted)
        if wanted is not None:
            outputs = [o for o in outputs if o[0].name in wanted]

        if not layout.typed or any(spec.dtype.datatype == "FP16" for spec, _, _, _ in outputs):
            raw_out: List[codecs.Buffer] = []
            if plan.dataframe and wanted is None and all(o[3] is None for o in outputs):
                # Every output, one shape, no validity: the common DataFrame answer.
                for spec, values, _, _ in outputs:
                    raw_out.append(codecs.encode_raw(spec.dtype, values))
                return plan.frame_heads.get(outputs[0][2][0]) + request.id_field + _predict_ms_field(predict_ms), raw_out
            described = []
            for spec, values, shape, valid in outputs:
                described.append((spec.name, tuple(shape), False))
                raw_out.append(codecs.encode_raw(spec.dtype, values))
                if valid is not None:
                    described.append((spec.name, tuple(shape), True))
                    raw_out.append(codecs.encode_raw(_BOOL, valid))
            return plan.heads.get(tuple(described)) + request.id_field + _predict_ms_field(predict_ms), raw_out

        response = plan.new_response()
        response.MergeFromString(request.id_field)
        response.parameters[PREDICT_MS_PARAM].double_param = predict_ms
        for spec, values, shape, valid in outputs:
            codecs.fill_typed(spec.dtype, values, _add_output(response, spec, shape, False).contents)
            if valid is not None:
                codecs.fill_typed(_BOOL, valid, _add_output(response, spec, shape, True).contents)
        return response.SerializeToString(), []

    def _predict(self, model: loader.LoadedModel, model_input: Any) -> Any:
        lock = model.lock
        try:
            if lock is None:
                return model.instance.predict(model_input)
            with lock:
                return model.instance.predict(model_input)
        except BaseException as e:  # noqa: B036 - a model's SystemExit must not stop the server
            if isinstance(e, KeyboardInterrupt):
                raise
            tb = e.__traceback__.tb_next if e.__traceback__ is not None else None
            report = build_report(e, "predict", self.model_dir, tb)
            raise ModelCodeError(summary(report), report) from None

    def _unavailable(self) -> ModelUnavailable:
        if self._state == "LOADING":
            return ModelUnavailable("the model is still loading; wait for ServerReady")
        return ModelUnavailable("no model is loaded (%s)" % (self._reason or self._state.lower()))

    def _require(self, name: str, version: str) -> _Plan:
        plan = self._plan
        if plan is None:
            raise self._unavailable()
        m = plan.manifest
        if name and name != m.name:
            raise ModelNotFound("model '%s' is not served here; this server serves '%s'" % (name, m.name))
        if version and version != m.version:
            raise ModelNotFound(
                "model '%s' version '%s' is not served here; the loaded version is '%s'" % (m.name, version, m.version)
            )
        return plan


# ---------------------------------------------------------------- request checks


class _Entry(NamedTuple):
    """One input of a checked request: where its data is and what it must be."""

    position: int  # index in request.inputs (and raw_input_contents)
    name: str
    dtype: DType
    shape: Tuple[int, ...]
    validity_of: Optional[str]  # the column this BOOL tensor gives the validity of


class _Layout(NamedTuple):
    """A request checked against the manifest, data aside (sizes are checked on decode)."""

    entries: Tuple[_Entry, ...]
    wanted: Optional[Set[str]]
    typed: bool
    dataframe: bool
    block: Optional[Any]  # frames.RawBlock: raw DataFrame columns of one numeric dtype, else None


def _check_request(plan: "_Plan", request: Any, raw_count: int) -> _Layout:
    """Everything about a request that does not depend on its data: names, datatypes,
    shapes, contents layout, requested outputs. Raises InvalidInput / InvalidRequest."""
    specs = plan.inputs
    dataframe = plan.dataframe
    inputs = request.inputs
    if raw_count and raw_count != len(inputs):
        raise InvalidRequest(
            "raw_input_contents has %d entries for %d inputs; send one entry per input, in the order of inputs"
            % (raw_count, len(inputs))
        )
    typed = False
    entries: List[_Entry] = []
    seen: Set[str] = set()
    validity_targets: Dict[str, _Entry] = {}
    for position, tensor in enumerate(inputs):
        name = tensor.name
        has_contents = tensor.HasField("contents")
        if raw_count and has_contents:
            raise InvalidInput(name, "has typed contents while the request uses raw_input_contents; use one or the other")
        typed = typed or has_contents
        target = None
        spec: Optional[TensorSpec] = None
        if dataframe and VALIDITY_PARAM in tensor.parameters:
            target = tensor.parameters[VALIDITY_PARAM].string_param
            if target not in specs:
                raise InvalidInput(name, "validity_of names '%s', which is not an input column" % target)
            if target in validity_targets:
                raise InvalidInput(name, "a second validity tensor for column '%s'" % target)
            dtype = _BOOL
        else:
            spec = specs.get(name)
            if spec is None:
                raise InvalidInput(
                    name,
                    "not an input of model '%s'; its %s are: %s"
                    % (plan.manifest.name, "columns" if dataframe else "inputs", plan.input_names),
                )
            if name in seen:
                raise InvalidInput(name, "appears twice in the request")
            seen.add(name)
            dtype = spec.dtype
        if tensor.datatype != dtype.datatype:
            declared = "" if target else " (%s in pyml.yaml)" % dtype.name
            raise InvalidInput(name, "expected datatype %s%s, got %s" % (dtype.datatype, declared, tensor.datatype or "none"))
        shape = tuple(tensor.shape)
        count = codecs.element_count(name, shape)
        if dataframe:
            if len(shape) != 1 and not (len(shape) == 2 and shape[1] == 1):
                raise InvalidInput(name, "a DataFrame column has shape [rows] or [rows, 1]; got %s" % list(shape))
            max_batch = plan.manifest.max_batch
            if max_batch is not None and shape[0] > max_batch:
                raise InvalidInput(
                    name, "%d rows is over this model's max_batch of %d (pyml.yaml); split the request" % (shape[0], max_batch)
                )
        else:
            assert spec is not None  # validity companions are for DataFrames only
            _check_shape(plan.manifest, spec, shape)
        if not raw_count and not has_contents and count:
            raise InvalidInput(name, "has no contents; send raw_input_contents or contents")
        entry = _Entry(position, name, dtype, shape, target)
        if target:
            validity_targets[target] = entry
        entries.append(entry)
    if len(seen) != len(specs):
        missing = next(s for s in plan.manifest.inputs if s.name not in seen)
        raise InvalidInput(
            missing.name,
            "missing from the request; model '%s' needs %s %s"
            % (plan.manifest.name, "columns" if dataframe else "inputs", plan.input_names),
        )
    block = None
    if dataframe and raw_count and not validity_targets:
        from .frames import RawBlock

        block = RawBlock.plan(plan.manifest.inputs, entries)
    return _Layout(tuple(entries), _requested_outputs(plan, request), typed and not raw_count, dataframe, block)


def _decode(
    layout: _Layout, request: Any, raw: Sequence[codecs.Buffer]
) -> Tuple[Dict[str, "np.ndarray"], Dict[str, "np.ndarray"]]:
    """The request's data as arrays, checked against the layout (sizes, BYTES, BOOL)."""
    arrays: Dict[str, np.ndarray] = {}
    validity: Dict[str, np.ndarray] = {}
    flat = layout.dataframe
    for position, name, dtype, shape, target in layout.entries:
        if raw:
            values = codecs.decode_raw(name, dtype, shape, raw[position], flat)
        elif layout.typed and request.message().inputs[position].HasField("contents"):
            values = codecs.decode_typed(name, dtype, shape, request.message().inputs[position].contents)
        else:  # an empty tensor without contents
            values = codecs.decode_raw(name, dtype, shape, b"", flat)
        if flat:
            if values.ndim != 1:
                values = values.reshape(-1)
            if target:
                validity[target] = values
                continue
        elif values.dtype != object and not values.flags.writeable:
            values = values.copy()  # the model's own array, not a view of the request
        arrays[name] = values
    for column, valid in validity.items():
        if len(valid) != len(arrays[column]):
            raise InvalidInput(column, "has %d rows but its validity tensor has %d" % (len(arrays[column]), len(valid)))
    return arrays, validity


def _check_shape(m: Manifest, spec: TensorSpec, shape: Tuple[int, ...]) -> None:
    declared = spec.shape
    if len(shape) != len(declared) or any(d != -1 and d != s for d, s in zip(declared, shape)):
        raise InvalidInput(spec.name, "expected shape %s (-1: any size), got %s" % (list(declared), list(shape)))
    if m.max_batch is not None and shape and shape[0] > m.max_batch:
        raise InvalidInput(
            spec.name,
            "first dimension %d is over this model's max_batch of %d (pyml.yaml); split the request" % (shape[0], m.max_batch),
        )


def _rows(m: Manifest, arrays: Dict[str, "np.ndarray"]) -> int:
    first = m.inputs[0].name
    rows = len(arrays[first])
    for spec in m.inputs[1:]:
        n = len(arrays[spec.name])
        if n != rows:
            raise InvalidInput(
                spec.name, "columns must have the same length: '%s' has %d rows, '%s' has %d" % (spec.name, n, first, rows)
            )
    if m.max_batch is not None and rows > m.max_batch:
        raise InvalidInput(
            first, "%d rows is over this model's max_batch of %d (pyml.yaml); split the request" % (rows, m.max_batch)
        )
    return rows


def _requested_outputs(plan: _Plan, request: Any) -> Optional[Set[str]]:
    if not len(request.outputs):
        return None
    wanted = set()
    for out in request.outputs:
        if out.name not in plan.outputs:
            raise InvalidRequest(
                "requested output '%s' is not an output of model '%s'; its outputs are: %s"
                % (out.name, plan.manifest.name, plan.output_names)
            )
        wanted.add(out.name)
    return wanted


# ---------------------------------------------------------------- output checks


def _frame_outputs(plan: _Plan, result: Any) -> List[Output]:
    from .frames import OutputProblem

    try:
        columns, rows = plan.frame_layout.split(result)
    except OutputProblem as e:
        raise _output_error(str(e)) from None
    shape = [rows]
    return [(spec, values, shape, validity) for spec, values, validity in columns]


def _tensor_outputs(m: Manifest, result: Any) -> List[Output]:
    if not isinstance(result, dict):
        raise _output_error("predict must return a dict of numpy arrays by output name, got %s" % type(result).__name__)
    declared = [s.name for s in m.outputs]
    for key in result:
        if key not in declared:
            raise _output_error(
                "output '%s': predict returned it but pyml.yaml `outputs` does not declare it (declared: %s)"
                % (key, ", ".join(declared))
            )
    out: List[Output] = []
    for spec in m.outputs:
        if spec.name not in result:
            raise _output_error(
                "output '%s': missing from the dict predict returned (it has: %s)"
                % (spec.name, ", ".join(map(str, result)) or "nothing")
            )
        values = _as_array(spec, result[spec.name])
        shape = list(values.shape)
        if len(shape) != len(spec.shape) or any(d != -1 and d != s for d, s in zip(spec.shape, shape)):
            raise _output_error(
                "output '%s': expected shape %s (-1: any size), predict returned %s" % (spec.name, list(spec.shape), shape)
            )
        out.append((spec, values, shape, None))
    return out


def _as_array(spec: TensorSpec, value: Any) -> "np.ndarray":
    from .frames import OutputProblem, cast_numeric, check_objects

    try:
        values = np.asarray(value)
    except Exception as e:
        raise _output_error("output '%s': cannot be made a numpy array (%s)" % (spec.name, e)) from None
    dtype = spec.dtype
    try:
        if dtype.is_bytes:
            kind = values.dtype.kind
            if kind == "U" and dtype.is_text or kind == "S" and not dtype.is_text:
                return values.astype(object)
            if kind == "O":
                return check_objects(spec, values, allow_missing=False)[1].reshape(values.shape)
            raise OutputProblem(spec.name, "expected %s values, got a %s array" % (dtype.name, values.dtype))
        if values.dtype == object:
            raise OutputProblem(spec.name, "expected %s, got an array of Python objects" % dtype.name)
        return cast_numeric(spec.name, dtype, values)
    except OutputProblem as e:
        raise _output_error(str(e)) from None


def _output_error(message: str) -> ModelCodeError:
    report = {
        "type": "pyml.OutputError",
        "message": message,
        "phase": "predict",
        "frames": [],
        "traceback": "",
        "truncated": False,
    }
    return ModelCodeError(message, report)


def _add_output(response: Any, spec: TensorSpec, shape: Sequence[int], companion: bool) -> Any:
    """Appends the output tensor of spec, or its validity companion, to response.outputs."""
    if companion:
        tensor = response.outputs.add(name=spec.name + VALIDITY_SUFFIX, datatype="BOOL", shape=shape)
        tensor.parameters[VALIDITY_PARAM].string_param = spec.name
    else:
        tensor = response.outputs.add(name=spec.name, datatype=spec.dtype.datatype, shape=shape)
        if spec.dtype.is_text:
            tensor.parameters[CONTENT_TYPE].string_param = CONTENT_TYPE_TEXT
    return tensor
