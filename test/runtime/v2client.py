"""A small Open Inference Protocol client for the runtime tests.

Its codec is written here from the wire format (not imported from pyml), so
the tests check the server against the specification, not against itself.
"""

import json
import struct
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import grpc
import numpy as np

from pyml.proto import grpc_predict_v2_pb2 as pb

SERVICE = "/inference.GRPCInferenceService/"

WIRE = {
    "BOOL": "|b1",
    "INT8": "|i1",
    "INT16": "<i2",
    "INT32": "<i4",
    "INT64": "<i8",
    "UINT8": "|u1",
    "UINT16": "<u2",
    "UINT32": "<u4",
    "UINT64": "<u8",
    "FP16": "<f2",
    "FP32": "<f4",
    "FP64": "<f8",
}
FIELD = {
    "BOOL": "bool_contents",
    "INT8": "int_contents",
    "INT16": "int_contents",
    "INT32": "int_contents",
    "INT64": "int64_contents",
    "UINT8": "uint_contents",
    "UINT16": "uint_contents",
    "UINT32": "uint_contents",
    "UINT64": "uint64_contents",
    "FP32": "fp32_contents",
    "FP64": "fp64_contents",
    "BYTES": "bytes_contents",
}


class Tensor:
    def __init__(self, name: str, datatype: str, shape: Sequence[int], values: Any, parameters: Optional[Dict[str, Any]] = None):
        self.name = name
        self.datatype = datatype
        self.shape = list(shape)
        self.values = values
        self.parameters = parameters or {}


class RpcFailure(Exception):
    def __init__(self, error: grpc.RpcError):
        self.code = error.code()
        self.details = error.details() or ""
        self.trailers = dict(error.trailing_metadata() or ())
        raw = self.trailers.get("pyml-error-bin")
        self.report = json.loads(raw.decode("utf-8")) if raw is not None else None
        self.report_bytes = len(raw) if raw is not None else 0
        super().__init__("%s: %s" % (self.code, self.details))


def encode_raw(datatype: str, values: Any) -> bytes:
    if datatype == "BYTES":
        parts = []
        for v in values:
            b = v.encode("utf-8") if isinstance(v, str) else bytes(v)
            parts.append(struct.pack("<I", len(b)))
            parts.append(b)
        return b"".join(parts)
    return np.asarray(values, dtype=WIRE[datatype]).tobytes()


def decode_raw(datatype: str, shape: Sequence[int], data: bytes) -> Any:
    count = int(np.prod(shape)) if shape else 1
    if datatype == "BYTES":
        items, pos = [], 0
        for _ in range(count):
            (n,) = struct.unpack_from("<I", data, pos)
            items.append(data[pos + 4 : pos + 4 + n])
            pos += 4 + n
        assert pos == len(data), "trailing bytes in BYTES output"
        return items
    arr = np.frombuffer(data, dtype=WIRE[datatype])
    assert arr.size == count, "raw output size does not match its shape"
    return arr.reshape(shape)


def set_parameter(target: Any, key: str, value: Any) -> None:
    if isinstance(value, bool):
        target[key].bool_param = value
    elif isinstance(value, int):
        target[key].int64_param = value
    else:
        target[key].string_param = value


def build_request(
    model: str,
    tensors: Iterable[Tensor],
    raw: bool = True,
    parameters: Optional[Dict[str, Any]] = None,
    outputs: Sequence[str] = (),
    request_id: str = "",
) -> Any:
    request = pb.ModelInferRequest(model_name=model, id=request_id)
    for k, v in (parameters or {}).items():
        set_parameter(request.parameters, k, v)
    for t in tensors:
        tensor = request.inputs.add(name=t.name, datatype=t.datatype, shape=t.shape)
        for k, v in t.parameters.items():
            set_parameter(tensor.parameters, k, v)
        if raw:
            request.raw_input_contents.append(encode_raw(t.datatype, t.values))
        elif len(t.values) == 0:
            continue  # an empty tensor needs no contents
        else:
            field = getattr(tensor.contents, FIELD[t.datatype])
            if t.datatype == "BYTES":
                field.extend(v.encode("utf-8") if isinstance(v, str) else bytes(v) for v in t.values)
            else:
                field.extend(np.asarray(t.values, dtype=WIRE[t.datatype]).reshape(-1).tolist())
    for name in outputs:
        request.outputs.add(name=name)
    return request


class Result:
    def __init__(self, response: Any):
        self.response = response
        self.outputs: Dict[str, Any] = {}
        self.tensors: Dict[str, Any] = {}
        raw = list(response.raw_output_contents)
        if raw:
            assert len(raw) == len(response.outputs)
            for tensor in response.outputs:
                assert not tensor.HasField("contents"), "raw and typed outputs mixed"
        for i, tensor in enumerate(response.outputs):
            self.tensors[tensor.name] = tensor
            if raw:
                self.outputs[tensor.name] = decode_raw(tensor.datatype, list(tensor.shape), raw[i])
            elif tensor.datatype == "BYTES":
                self.outputs[tensor.name] = list(tensor.contents.bytes_contents)
            else:
                field = getattr(tensor.contents, FIELD[tensor.datatype])
                self.outputs[tensor.name] = np.array(list(field), dtype=WIRE[tensor.datatype]).reshape(list(tensor.shape))

    @property
    def raw(self) -> bool:
        return len(self.response.raw_output_contents) > 0

    def __getitem__(self, name: str) -> Any:
        return self.outputs[name]


class V2Client:
    def __init__(self, target: str, max_message_mb: int = 512):
        size = max_message_mb * 1024 * 1024
        self.channel = grpc.insecure_channel(
            target, options=[("grpc.max_receive_message_length", size), ("grpc.max_send_message_length", size)]
        )

    def close(self) -> None:
        self.channel.close()

    def call(self, method: str, request: Any, response_cls: Any, timeout: float = 30) -> Any:
        stub = self.channel.unary_unary(
            SERVICE + method, request_serializer=type(request).SerializeToString, response_deserializer=response_cls.FromString
        )
        try:
            return stub(request, timeout=timeout)
        except grpc.RpcError as e:
            raise RpcFailure(e) from None

    def call_bytes(self, method: str, data: bytes, timeout: float = 30) -> bytes:
        stub = self.channel.unary_unary(SERVICE + method)
        try:
            return stub(data, timeout=timeout)  # type: ignore[no-any-return]
        except grpc.RpcError as e:
            raise RpcFailure(e) from None

    # health and metadata
    def live(self) -> bool:
        return bool(self.call("ServerLive", pb.ServerLiveRequest(), pb.ServerLiveResponse).live)

    def ready(self, timeout: float = 5, wait: bool = False) -> bool:
        stub = self.channel.unary_unary(
            SERVICE + "ServerReady",
            request_serializer=pb.ServerReadyRequest.SerializeToString,
            response_deserializer=pb.ServerReadyResponse.FromString,
        )
        return bool(stub(pb.ServerReadyRequest(), timeout=timeout, wait_for_ready=wait).ready)

    def model_ready(self, name: str, version: str = "") -> bool:
        return bool(self.call("ModelReady", pb.ModelReadyRequest(name=name, version=version), pb.ModelReadyResponse).ready)

    def server_metadata(self) -> Any:
        return self.call("ServerMetadata", pb.ServerMetadataRequest(), pb.ServerMetadataResponse)

    def model_metadata(self, name: str, version: str = "") -> Any:
        return self.call("ModelMetadata", pb.ModelMetadataRequest(name=name, version=version), pb.ModelMetadataResponse)

    def repository_index(self) -> Any:
        return self.call("RepositoryIndex", pb.RepositoryIndexRequest(), pb.RepositoryIndexResponse)

    def load(self, name: str) -> Any:
        return self.call("RepositoryModelLoad", pb.RepositoryModelLoadRequest(model_name=name), pb.RepositoryModelLoadResponse, 120)

    def unload(self, name: str) -> Any:
        return self.call("RepositoryModelUnload", pb.RepositoryModelUnloadRequest(model_name=name), pb.RepositoryModelUnloadResponse)

    # inference
    def infer_request(self, request: Any, timeout: float = 60) -> Result:
        return Result(self.call("ModelInfer", request, pb.ModelInferResponse, timeout))

    def infer(self, model: str, tensors: Iterable[Tensor], **kwargs: Any) -> Result:
        return self.infer_request(build_request(model, tensors, **kwargs))

    def infer_bytes(self, data: bytes, timeout: float = 30) -> Result:
        return Result(pb.ModelInferResponse.FromString(self.call_bytes("ModelInfer", data, timeout)))


def frame_tensors(columns: Dict[str, Tuple[str, Any]]) -> List[Tensor]:
    """{name: (datatype, values)} -> one [n] tensor per column."""
    return [Tensor(name, dt, [len(values)], values) for name, (dt, values) in columns.items()]
