"""System shared memory, as Triton's system shared-memory extension defines it.

A client on the same machine registers a region (name, key, offset, byte size)
and then names it in a tensor's parameters instead of sending the bytes:

    shared_memory_region     string  a registered region
    shared_memory_offset     int64   where the tensor starts inside the region (default 0)
    shared_memory_byte_size  int64   how many bytes it takes

on inputs (the server reads them from the region) and on requested outputs (the
server writes the output there; the response's output tensor carries the same
parameters, byte_size being the bytes written, and an empty raw_output_contents
entry).

Keys resolve inside one folder only: `PYML_SHM_DIR` (in a model container, the
per-container folder under the host's /dev/shm that the extension bind-mounts;
see src/container/runSpec.ts). A key is `/name` or `name` with name matching
KEY_PATTERN: no path separators, no leading dot, so no escape from the folder
and no reach into the registry. Without `PYML_SHM_DIR` the extension is off and
every shared-memory call is refused with a message saying so.

Registrations live in that folder too (REGISTRY_DIR, one small JSON file per
region, created with an atomic link), not in the process: a region registered
through one model process is seen by every process serving the same folder,
each of which opens the region's file lazily by name and re-reads the
registration when its file changes. Data moves with pread/pwrite, never mmap:
a region file truncated behind the server's back gives a clear error, not SIGBUS.
"""

import errno
import json
import os
import re
import stat
import threading
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from . import wire
from .dtypes import BY_NAME, DType
from .errors import InvalidInput, InvalidRequest, ModelNotFound, PymlError, Status
from .proto import grpc_predict_v2_pb2 as pb

ENV_DIR = "PYML_SHM_DIR"
EXTENSION = "system_shared_memory"
REGION_PARAM = "shared_memory_region"
OFFSET_PARAM = "shared_memory_offset"
SIZE_PARAM = "shared_memory_byte_size"
REGISTRY_DIR = ".pyml-regions"
KEY_PATTERN = re.compile(r"^/?([A-Za-z0-9_][A-Za-z0-9._-]{0,199})$")
MAX_NAME_BYTES = 100  # a registration file is the name in hex: 200 characters, under NAME_MAX

_MARKER = REGION_PARAM.encode()
_BY_DATATYPE: Dict[str, DType] = {}
for _d in BY_NAME.values():
    _BY_DATATYPE.setdefault(_d.datatype, _d)


class SharedMemoryError(InvalidRequest):
    """A bad region, key, offset or size: INVALID_ARGUMENT, naming what and where."""


class SharedMemoryUnavailable(PymlError):
    status = Status.FAILED_PRECONDITION


class Region(NamedTuple):
    name: str
    key: str
    offset: int
    byte_size: int


class Slice(NamedTuple):
    """Where one tensor lives: a region, an offset inside it, a byte size."""

    region: str
    offset: int
    byte_size: int


class _Open(NamedTuple):
    region: Region
    fd: int
    identity: Tuple[int, int]  # the registration file's (inode, mtime_ns)


class ShmRequest(NamedTuple):
    """A request whose shared-memory inputs were read: `request` has a raw entry for every input."""

    request: wire.InferRequest
    outputs: Dict[str, Slice]


class SharedMemory:
    """The regions of one region folder, shared by every process that serves it."""

    def __init__(self, folder: Optional[str]) -> None:
        self.folder = os.path.realpath(folder) if folder else None
        self._registry = os.path.join(self.folder, REGISTRY_DIR) if self.folder else None
        self._open: Dict[str, _Open] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_environment(cls) -> "SharedMemory":
        return cls(os.environ.get(ENV_DIR) or None)

    @property
    def enabled(self) -> bool:
        return self.folder is not None

    # ------------------------------------------------------------ the RPCs

    def register(self, name: str, key: str, offset: int, byte_size: int) -> None:
        registry = self._require()
        _check_name(name)
        path = self._key_path(key)
        fd = _open_file(path, key)
        try:
            st = os.fstat(fd)
        finally:
            os.close(fd)
        if byte_size <= 0:
            raise SharedMemoryError("region '%s': byte_size must be over 0, got %d" % (name, byte_size))
        if offset + byte_size > st.st_size:
            raise SharedMemoryError(
                "region '%s': offset %d + byte_size %d = %d is past the end of key '%s' (%d bytes)"
                % (name, offset, byte_size, offset + byte_size, key, st.st_size)
            )
        os.makedirs(registry, mode=0o700, exist_ok=True)
        record = json.dumps(
            {"name": name, "key": key, "offset": offset, "byte_size": byte_size, "file": [st.st_dev, st.st_ino]}
        ).encode()
        target = self._record_path(name)
        temp = "%s.%d.%d.tmp" % (target, os.getpid(), threading.get_ident())
        with open(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            out.write(record)
        try:
            os.link(temp, target)  # atomic, and fails when the name is taken (by any process)
        except FileExistsError:
            raise SharedMemoryError(
                "region '%s' is already registered; unregister it first or pick another name" % name
            ) from None
        finally:
            os.unlink(temp)

    def unregister(self, name: str) -> None:
        self._require()
        if name:
            names = [name]
        else:
            names = [r.name for r in self.status("")]
        for n in names:
            try:
                os.unlink(self._record_path(n))
            except FileNotFoundError:
                pass
            self._forget(n)

    def status(self, name: str) -> List[Region]:
        registry = self._require()
        if name:
            region = self._read_record(name)
            if region is None:
                raise ModelNotFound("shared-memory region '%s' is not registered" % name)
            return [region]
        try:
            entries = sorted(os.listdir(registry))
        except FileNotFoundError:
            return []
        out = []
        for entry in entries:
            if entry.endswith(".tmp"):
                continue
            try:
                region = self._read_record(bytes.fromhex(entry).decode())
            except ValueError:
                continue
            if region is not None:
                out.append(region)
        return out

    def status_response(self, name: str) -> Any:
        response = pb.SystemSharedMemoryStatusResponse()
        for r in self.status(name):
            entry = response.regions[r.name]
            entry.name, entry.key, entry.offset, entry.byte_size = r.name, r.key, r.offset, r.byte_size
        return response

    # ------------------------------------------------------------ inference

    @staticmethod
    def names_region(request: wire.InferRequest) -> bool:
        """Whether a request may use shared memory (a cheap test on its serialized key)."""
        return _MARKER in request.key

    def resolve(self, request: wire.InferRequest) -> ShmRequest:
        """Reads the inputs that name a region; returns the request with every input raw,
        and where each output asked for in shared memory goes."""
        message = request.message()
        inputs = message.inputs
        slices = [_slice_of("input", t.name, t.parameters) for t in inputs]
        outputs: Dict[str, Slice] = {}
        for out in message.outputs:
            s = _slice_of("output", out.name, out.parameters)
            if s is not None:
                outputs[out.name] = s
        if outputs:
            self._check_outputs(outputs)
        if all(s is None for s in slices):
            return ShmRequest(request, outputs)
        self._require()
        inline = [i for i, s in enumerate(slices) if s is None]
        raw = request.raw
        if raw and len(raw) != len(inline):
            raise InvalidRequest(
                "raw_input_contents has %d entries for the %d inputs not in shared memory; send one entry per such input, in order"
                % (len(raw), len(inline))
            )
        full: List[Any] = [b""] * len(inputs)
        for position, tensor_raw in zip(inline, raw):
            full[position] = tensor_raw
        block = _one_block(inputs, slices)
        for position, (tensor, s) in enumerate(zip(inputs, slices)):
            if s is None:
                if not raw and tensor.HasField("contents"):
                    raise InvalidInput(
                        tensor.name,
                        "has typed contents while other inputs are in shared memory; send it in raw_input_contents or in shared memory",
                    )
                continue
            if tensor.HasField("contents"):
                raise InvalidInput(tensor.name, "names shared-memory region '%s' and also has contents; use one or the other" % s.region)
            _check_input_size(tensor, s)
            full[position] = self.read(tensor.name, s, None if block is None else block[position])
        return ShmRequest(wire.InferRequest(request.key, request.id_field, full), outputs)

    def _check_outputs(self, outputs: Dict[str, Slice]) -> None:
        """Before the model runs: every output slice is inside a registered region, none overlaps another."""
        self._require()
        seen: List[Tuple[str, Slice]] = []
        for name, s in outputs.items():
            self._locate("output", name, s)
            for other, o in seen:
                if s.region == o.region and s.offset < o.offset + o.byte_size and o.offset < s.offset + s.byte_size:
                    raise SharedMemoryError(
                        "output '%s': bytes %d..%d of region '%s' overlap those of output '%s' (%d..%d)"
                        % (name, s.offset, s.offset + s.byte_size, s.region, other, o.offset, o.offset + o.byte_size)
                    )
            seen.append((name, s))

    def read(self, tensor: str, s: Slice, into: Optional["np.ndarray"] = None) -> "np.ndarray":
        """The bytes of an input slice, copied out of the region (into `into`, of byte_size bytes, when given)."""
        opened, start = self._locate("input", tensor, s)
        out = np.empty(s.byte_size, dtype=np.uint8) if into is None else into
        view = memoryview(out)  # type: ignore[arg-type]  # numpy arrays have the buffer protocol
        done = 0
        while done < s.byte_size:
            n = os.preadv(opened.fd, [view[done:]], start + done)
            if n <= 0:
                raise SharedMemoryError(
                    "input '%s': region '%s' (key '%s') ends before offset %d + byte_size %d; was its file truncated?"
                    % (tensor, s.region, opened.region.key, s.offset, s.byte_size)
                )
            done += n
        return out

    def place_outputs(self, outputs: Dict[str, Slice], head: bytes, raw_out: Sequence[Any]) -> Tuple[bytes, List[Any]]:
        """Writes the outputs asked for in shared memory into their slices; the response names them."""
        response = pb.ModelInferResponse.FromString(head)
        if len(raw_out) != len(response.outputs):
            raise InvalidRequest(
                "outputs in shared memory need raw contents: send the inputs in raw_input_contents or in shared memory"
            )
        placed: List[Tuple[int, Slice, int]] = []
        for i, tensor in enumerate(response.outputs):
            s = outputs.get(tensor.name)
            if s is None:
                continue
            data = raw_out[i]
            size = len(data) if isinstance(data, (bytes, bytearray)) else memoryview(data).nbytes
            if size > s.byte_size:
                raise SharedMemoryError(
                    "output '%s': needs %d bytes (shape %s of %s), but shared_memory_byte_size is %d in region '%s'"
                    % (tensor.name, size, list(tensor.shape), tensor.datatype, s.byte_size, s.region)
                )
            placed.append((i, s, size))
        new_raw: List[Any] = list(raw_out)
        for i, s, size in placed:  # every size checked first: an error leaves the regions untouched
            tensor = response.outputs[i]
            self._write(tensor.name, s, raw_out[i], size)
            new_raw[i] = b""
            params = tensor.parameters
            params[REGION_PARAM].string_param = s.region
            params[OFFSET_PARAM].int64_param = s.offset
            params[SIZE_PARAM].int64_param = size
        return response.SerializeToString(), new_raw

    def _write(self, tensor: str, s: Slice, data: Any, size: int) -> None:
        opened, start = self._locate("output", tensor, s)
        view = memoryview(data).cast("B") if size else memoryview(b"")
        done = 0
        while done < size:
            done += os.pwrite(opened.fd, view[done:], start + done)

    # ------------------------------------------------------------ registry

    def _require(self) -> str:
        if self._registry is None:
            raise SharedMemoryUnavailable(
                "this server has no shared-memory folder (%s is not set), so the system shared-memory extension is off; "
                "send the bytes in raw_input_contents" % ENV_DIR
            )
        return self._registry

    def _key_path(self, key: str) -> str:
        assert self.folder is not None
        m = KEY_PATTERN.match(key)
        if not m:
            raise SharedMemoryError(
                "key '%s' is not a shared-memory key of this server: use '/name' with letters, digits, '.', '_' or '-' "
                "(no other '/', not starting with '.'), for a file in its shared-memory folder" % key
            )
        return os.path.join(self.folder, m.group(1))

    def _record_path(self, name: str) -> str:
        assert self._registry is not None
        return os.path.join(self._registry, name.encode().hex())

    def _read_record(self, name: str) -> Optional[Region]:
        try:
            with open(self._record_path(name), "rb") as f:
                data = json.loads(f.read())
        except FileNotFoundError:
            return None
        return Region(data["name"], data["key"], int(data["offset"]), int(data["byte_size"]))

    def _locate(self, what: str, tensor: str, s: Slice) -> Tuple[_Open, int]:
        """The open region of a slice and the file position where the slice starts; checks bounds."""
        opened = self._lookup(what, tensor, s.region)
        r = opened.region
        if s.offset + s.byte_size > r.byte_size:
            raise SharedMemoryError(
                "%s '%s': shared_memory_offset %d + shared_memory_byte_size %d = %d is outside region '%s' (%d bytes)"
                % (what, tensor, s.offset, s.byte_size, s.offset + s.byte_size, s.region, r.byte_size)
            )
        return opened, r.offset + s.offset

    def _lookup(self, what: str, tensor: str, name: str) -> _Open:
        record = self._record_path(name)
        try:
            st = os.stat(record)
        except FileNotFoundError:
            self._forget(name)
            raise SharedMemoryError(
                "%s '%s': shared-memory region '%s' is not registered; register it with SystemSharedMemoryRegister first"
                % (what, tensor, name)
            ) from None
        identity = (st.st_ino, st.st_mtime_ns)
        with self._lock:
            opened = self._open.get(name)
            if opened is not None and opened.identity == identity:
                return opened
        with open(record, "rb") as f:
            data = json.loads(f.read())
        region = Region(data["name"], data["key"], int(data["offset"]), int(data["byte_size"]))
        fd = _open_file(self._key_path(region.key), region.key)
        fst = os.fstat(fd)
        if [fst.st_dev, fst.st_ino] != list(data.get("file", [fst.st_dev, fst.st_ino])):
            os.close(fd)
            raise SharedMemoryError(
                "%s '%s': the file of key '%s' was replaced after region '%s' was registered; register the region again"
                % (what, tensor, region.key, name)
            )
        with self._lock:
            old = self._open.pop(name, None)
            self._open[name] = _Open(region, fd, identity)
        if old is not None:
            os.close(old.fd)
        return self._open[name]

    def _forget(self, name: str) -> None:
        with self._lock:
            old = self._open.pop(name, None)
        if old is not None:
            os.close(old.fd)

    def close(self) -> None:
        with self._lock:
            opened, self._open = list(self._open.values()), {}
        for o in opened:
            os.close(o.fd)


# ---------------------------------------------------------------- helpers


def _check_name(name: str) -> None:
    if not name:
        raise SharedMemoryError("a shared-memory region needs a name")
    if len(name.encode()) > MAX_NAME_BYTES or any(ord(c) < 32 for c in name):
        raise SharedMemoryError(
            "region name '%s' must be at most %d bytes of printable characters" % (name[:120], MAX_NAME_BYTES)
        )


def _open_file(path: str, key: str) -> int:
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        raise SharedMemoryError("key '%s': no such shared-memory object in this server's shared-memory folder" % key) from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise SharedMemoryError("key '%s' is a symbolic link; shared-memory objects must be plain files" % key) from None
        raise SharedMemoryError("key '%s' cannot be opened: %s" % (key, e.strerror)) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise SharedMemoryError("key '%s' is not a plain file" % key)
    return fd


def _int_param(what: str, tensor: str, params: Any, key: str) -> int:
    p = params[key]
    choice = p.WhichOneof("parameter_choice")
    if choice == "int64_param":
        value = int(p.int64_param)
    elif choice == "uint64_param":
        value = int(p.uint64_param)
    else:
        raise SharedMemoryError("%s '%s': parameter %s must be an int64_param, got %s" % (what, tensor, key, choice or "nothing"))
    if value < 0:
        raise SharedMemoryError("%s '%s': %s is %d; it must not be negative" % (what, tensor, key, value))
    return value


def _slice_of(what: str, tensor: str, params: Any) -> Optional[Slice]:
    if REGION_PARAM not in params:
        for key in (OFFSET_PARAM, SIZE_PARAM):
            if key in params:
                raise SharedMemoryError("%s '%s': %s without %s" % (what, tensor, key, REGION_PARAM))
        return None
    p = params[REGION_PARAM]
    if p.WhichOneof("parameter_choice") != "string_param" or not p.string_param:
        raise SharedMemoryError("%s '%s': %s must be a non-empty string_param" % (what, tensor, REGION_PARAM))
    if SIZE_PARAM not in params:
        raise SharedMemoryError("%s '%s': names region '%s' without %s" % (what, tensor, p.string_param, SIZE_PARAM))
    offset = _int_param(what, tensor, params, OFFSET_PARAM) if OFFSET_PARAM in params else 0
    return Slice(p.string_param, offset, _int_param(what, tensor, params, SIZE_PARAM))


def _one_block(inputs: Any, slices: Sequence[Optional[Slice]]) -> Optional["np.ndarray"]:
    """For inputs all in shared memory, of one fixed-width datatype and one size (a DataFrame of one
    numeric dtype): one (inputs, bytes) array whose rows receive them, so the frame is built without
    another copy (frames.FrameLayout.build_from_raw). None otherwise."""
    if len(inputs) < 2 or any(s is None for s in slices):
        return None
    size = slices[0].byte_size  # type: ignore[union-attr]
    datatype = inputs[0].datatype
    dtype = _BY_DATATYPE.get(datatype)
    if dtype is None or dtype.wire is None or not size:
        return None
    if any(t.datatype != datatype or s.byte_size != size for t, s in zip(inputs, slices)):  # type: ignore[union-attr]
        return None
    return np.empty((len(inputs), size), dtype=np.uint8)


def _check_input_size(tensor: Any, s: Slice) -> None:
    """A fixed-width input's byte size must be exactly what its shape and datatype take."""
    dtype = _BY_DATATYPE.get(tensor.datatype)
    if dtype is None or dtype.wire is None:
        return  # BYTES (length-prefixed) and unknown datatypes are checked when decoded
    count = 1
    for d in tensor.shape:
        if d < 0:
            return  # reported by the request checks with the shape
        count *= d
    need = count * dtype.wire.itemsize
    if need != s.byte_size:
        raise SharedMemoryError(
            "input '%s': shape %s of %s takes %d bytes (%d x %d), but shared_memory_byte_size is %d in region '%s'"
            % (tensor.name, list(tensor.shape), tensor.datatype, need, count, dtype.wire.itemsize, s.byte_size, s.region)
        )
