"""Sends a sample request to a model folder served by the PyML runtime and prints the outputs as JSON.

    PYTHONPATH=runtime python3 v2sample.py MODEL_DIR < inputs.json > outputs.json

inputs.json is {"name": column-or-nested-list, ...} as in samples/*.json; the outputs come back in the
same form. Used by generate.ts to compute each template's expected output through the real server
(python3 -m pyml serve, gRPC over a Unix socket), so what the sample expects is what the runtime answers.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import grpc
import numpy as np
import yaml
from pyml.proto import grpc_predict_v2_pb2 as pb

SERVICE = "/inference.GRPCInferenceService/"
NUMPY = {
    "bool": np.bool_, "int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
    "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64,
    "float16": np.float16, "float32": np.float32, "float64": np.float64,
}
V2 = {
    "bool": "BOOL", "int8": "INT8", "int16": "INT16", "int32": "INT32", "int64": "INT64",
    "uint8": "UINT8", "uint16": "UINT16", "uint32": "UINT32", "uint64": "UINT64",
    "float16": "FP16", "float32": "FP32", "float64": "FP64", "string": "BYTES", "bytes": "BYTES",
}
FROM_V2 = {
    "BOOL": "<b1", "INT8": "<i1", "INT16": "<i2", "INT32": "<i4", "INT64": "<i8", "UINT8": "<u1",
    "UINT16": "<u2", "UINT32": "<u4", "UINT64": "<u8", "FP16": "<f2", "FP32": "<f4", "FP64": "<f8",
}


def request(manifest: dict, inputs: dict) -> "pb.ModelInferRequest":
    req = pb.ModelInferRequest(model_name=manifest["name"])
    if manifest["kind"] == "dataframe":
        req.parameters["content_type"].string_param = "pd"
    for field in manifest["inputs"]:
        datatype = V2.get(field["dtype"], field["dtype"])
        if datatype == "BYTES":
            values = [str(v).encode("utf-8") for v in inputs[field["name"]]]
            req.inputs.add(name=field["name"], datatype="BYTES", shape=[len(values)])
            req.raw_input_contents.append(b"".join(len(v).to_bytes(4, "little") + v for v in values))
            continue
        array = np.asarray(inputs[field["name"]], dtype=np.dtype(FROM_V2[datatype]))
        req.inputs.add(name=field["name"], datatype=datatype, shape=list(array.shape))
        req.raw_input_contents.append(np.ascontiguousarray(array).tobytes())
    return req


def decode(response: "pb.ModelInferResponse") -> dict:
    out = {}
    for tensor, raw in zip(response.outputs, response.raw_output_contents):
        shape = [int(n) for n in tensor.shape]
        if tensor.datatype == "BYTES":
            items, at = [], 0
            while at < len(raw):
                n = int.from_bytes(raw[at:at + 4], "little")
                items.append(raw[at + 4:at + 4 + n].decode("utf-8"))
                at += 4 + n
            out[tensor.name] = np.asarray(items, dtype=object).reshape(shape).tolist()
        else:
            out[tensor.name] = np.frombuffer(raw, dtype=np.dtype(FROM_V2[tensor.datatype])).reshape(shape).tolist()
    return out


def main() -> int:
    model_dir = os.path.abspath(sys.argv[1])
    with open(os.path.join(model_dir, "pyml.yaml"), encoding="utf-8") as f:
        manifest = yaml.safe_load(f)
    inputs = json.load(sys.stdin)
    with tempfile.TemporaryDirectory(prefix="pyml-gen-") as tmp:
        socket = os.path.join(tmp, "s")
        server = subprocess.Popen([sys.executable, "-m", "pyml", "serve", model_dir, "--socket", socket],
                                  stdout=sys.stderr, stderr=sys.stderr)
        try:
            channel = grpc.insecure_channel("unix://" + socket)
            ready = channel.unary_unary(SERVICE + "ServerReady", pb.ServerReadyRequest.SerializeToString,
                                        pb.ServerReadyResponse.FromString)
            deadline = time.monotonic() + 60
            while True:
                if server.poll() is not None:
                    raise SystemExit("the PyML server exited with %s" % server.returncode)
                try:
                    if ready(pb.ServerReadyRequest(), timeout=1).ready:
                        break
                except grpc.RpcError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("the PyML server was not ready after 60 s")
                time.sleep(0.1)
            infer = channel.unary_unary(SERVICE + "ModelInfer", pb.ModelInferRequest.SerializeToString,
                                        pb.ModelInferResponse.FromString)
            json.dump(decode(infer(request(manifest, inputs), timeout=60)), sys.stdout)
            channel.close()
        finally:
            server.terminate()
            server.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
