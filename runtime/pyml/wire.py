"""ModelInfer messages in and out of their serialized form, with few copies.

A request is split at its top level without protobuf: each raw_input_contents
entry (field 7) becomes a memoryview into the received buffer, the id (field 3)
is kept as its serialized bytes, and the rest (model name, input names, shapes,
parameters, typed contents) is the request's `key`. Requests with the same key
have the same layout, so the data plane checks a layout once and reuses it; the
key goes through protobuf only when it is new or the contents are typed.

A response is its serialized head (everything but raw outputs), the request's
id bytes (field 3 in both messages), then one field-6 entry per raw output,
joined in a single copy.

The conventions PyML adds to the Open Inference Protocol are declared here once for the runtime
(src/protocol/wire.ts declares the same for the extension; runtime/README.md describes them).
"""

from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np
from google.protobuf.message import DecodeError

from .errors import InvalidRequest
from .proto import grpc_predict_v2_pb2 as pb

# The parameter that says what a request, a response or a tensor holds, and its values.
CONTENT_TYPE = "content_type"
CONTENT_TYPE_DATAFRAME = "pd"  # a DataFrame request, response or model (MLServer's pandas codec name)
CONTENT_TYPE_TEXT = "str"  # a BYTES tensor of UTF-8 text
CONTENT_TYPE_BYTES = "bytes"  # a BYTES tensor of opaque bytes
# A validity companion: BOOL tensor `<column>:valid` with parameter validity_of = "<column>".
VALIDITY_PARAM = "validity_of"
VALIDITY_SUFFIX = ":valid"
# Response parameter: milliseconds the model's predict() took (double), for clients' timing splits.
PREDICT_MS_PARAM = "pyml_predict_ms"
# Trailing metadata key of a failed call: the structured error report, UTF-8 JSON.
ERROR_TRAILER = "pyml-error-bin"
# A failed model load prints the same report as its last stderr line, after this prefix.
ERROR_JSON_PREFIX = "PYML_ERROR_JSON "
# `serve --workers N` (supervisor.py): initial metadata of ServerLive/ServerReady naming the worker
# sockets (comma-separated file names in the main socket's folder), and the trailing metadata key of
# a worker's error answers holding its index (a client tells a model's error from a worker that died).
WORKERS_HEADER = "pyml-workers"
WORKER_TRAILER = "pyml-worker"

Buffer = Union[bytes, memoryview, "np.ndarray"]  # anything with the buffer protocol, C-contiguous

_ID_FIELD = 3
_RAW_INPUT_FIELD = 7
_RAW_OUTPUT_TAG = b"\x32"  # field 6, wire type 2 (length-delimited)


class InferRequest:
    """A ModelInferRequest split at its top level (see the module doc)."""

    __slots__ = ("key", "id_field", "raw", "_message")

    def __init__(self, key: bytes, id_field: bytes, raw: List[Buffer]) -> None:
        self.key = key
        self.id_field = id_field
        self.raw = raw
        self._message: Optional[Any] = None

    def message(self) -> Any:
        """The ModelInferRequest without id and raw contents, parsed on first use."""
        if self._message is None:
            self._message = _parse(self.key)
        return self._message


def parse_infer_request(data: bytes) -> InferRequest:
    """Serialized ModelInferRequest -> InferRequest. Raises InvalidRequest if malformed."""
    raw, spans, ids = _split(data)
    if not raw and not ids:
        return InferRequest(data, b"", raw)
    key = data[spans[0][0] : spans[0][1]] if len(spans) == 1 else b"".join([data[a:b] for a, b in spans])
    id_field = b"".join([data[a:b] for a, b in ids])
    if id_field:
        _parse(id_field)  # a malformed id (bad UTF-8) is refused like the rest of the request
    return InferRequest(key, id_field, raw)


def serialize_infer_response(head: bytes, raw_outputs: Sequence[Buffer]) -> bytes:
    """A serialized response without raw outputs + the raw outputs -> the full message."""
    if not raw_outputs:
        return head
    parts: List[Buffer] = [head]
    size = -1
    prefix = b""
    for buf in raw_outputs:
        n = len(buf) if type(buf) is bytes else buf.nbytes  # type: ignore[union-attr]
        if n != size:
            size, prefix = n, _RAW_OUTPUT_TAG + _varint(n)
        parts.append(prefix)
        parts.append(buf)
    return b"".join(parts)  # type: ignore[arg-type]  # numpy arrays have the buffer protocol


class HeadCache:
    """Serialized response heads (everything but id and raw contents), by layout.

    Repeated requests of the same shape skip building protobuf messages.
    """

    MAX_ENTRIES = 256

    def __init__(self, build: Any) -> None:
        self._build = build
        self._heads: dict = {}

    def get(self, layout: Any) -> bytes:
        head = self._heads.get(layout)
        if head is None:
            if len(self._heads) >= self.MAX_ENTRIES:
                self._heads.clear()
            head = self._heads[layout] = self._build(layout)
        return head  # type: ignore[no-any-return]


def _parse(data: Buffer) -> Any:
    try:
        return pb.ModelInferRequest.FromString(data)
    except (DecodeError, ValueError, TypeError) as e:
        raise InvalidRequest("the request is not a valid ModelInferRequest message (%s)" % (e or "decode error")) from None


def _split(data: bytes) -> Tuple[List[Buffer], List[Tuple[int, int]], List[Tuple[int, int]]]:
    """Walks the top-level fields: raw entries, spans of the key, spans of the id field."""
    view = memoryview(data)
    raw: List[Buffer] = []
    spans: List[Tuple[int, int]] = []
    ids: List[Tuple[int, int]] = []
    size = len(data)
    pos = 0
    run = 0  # start of the current run of key fields
    while pos < size:
        start = pos
        key = data[pos]
        pos += 1
        if key >= 0x80:
            key, pos = _read_varint(data, start, size)
        if key < 8:
            raise InvalidRequest("the request is not a valid ModelInferRequest message (field number 0)")
        wire = key & 7
        if wire == 2:
            if pos < size and data[pos] < 0x80:
                length = data[pos]
                pos += 1
            else:
                length, pos = _read_varint(data, pos, size)
            end = pos + length
            if end > size:
                raise InvalidRequest("the request is not a valid ModelInferRequest message (truncated field %d)" % (key >> 3))
            number = key >> 3
            if number == _RAW_INPUT_FIELD or number == _ID_FIELD:
                if run < start:
                    spans.append((run, start))
                if number == _RAW_INPUT_FIELD:
                    raw.append(view[pos:end])
                else:
                    ids.append((start, end))
                run = end
            pos = end
        elif wire == 0:
            _, pos = _read_varint(data, pos, size)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise InvalidRequest("the request is not a valid ModelInferRequest message (wire type %d)" % wire)
    if pos > size:
        raise InvalidRequest("the request is not a valid ModelInferRequest message (truncated field)")
    if run < size:
        spans.append((run, size))
    return raw, spans, ids


def _read_varint(data: bytes, pos: int, size: int) -> Tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= size or shift > 63:
            raise InvalidRequest("the request is not a valid ModelInferRequest message (bad varint)")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


_ONE_BYTE = [bytes((i,)) for i in range(128)]


def _varint(n: int) -> bytes:
    if n < 128:
        return _ONE_BYTE[n]
    out = bytearray()
    while True:
        bits = n & 0x7F
        n >>= 7
        if n:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)
