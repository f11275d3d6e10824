"""The floor for bench_runtime.py: a bare grpcio server that answers ModelInfer
with pre-built bytes (no decoding, no model), on the same kind of socket and
with the same gRPC options as the PyML server.

    /usr/bin/python3 bench/runtime/floor_server.py --socket PATH --response FILE
"""

import argparse
import os
import signal
import sys
import threading
from concurrent import futures

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "runtime"))

from pyml.grpc_server import SERVICE, server_options  # noqa: E402
from pyml.proto import grpc_predict_v2_pb2 as pb  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--socket", required=True)
    parser.add_argument("--response", required=True, help="file holding the serialized ModelInferResponse")
    parser.add_argument("--max-message-mb", type=int, default=512)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()

    with open(args.response, "rb") as f:
        response = f.read()

    def infer(_request: bytes, _context: grpc.ServicerContext) -> bytes:
        return response

    def ready(_request: object, _context: grpc.ServicerContext) -> object:
        return pb.ServerReadyResponse(ready=True)

    handler = grpc.method_handlers_generic_handler(
        SERVICE,
        {
            "ModelInfer": grpc.unary_unary_rpc_method_handler(infer),
            "ServerReady": grpc.unary_unary_rpc_method_handler(
                ready, pb.ServerReadyRequest.FromString, pb.ServerReadyResponse.SerializeToString
            ),
        },
    )
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=args.workers),
        handlers=[handler],
        options=server_options(args.max_message_mb * 1024 * 1024),
    )
    if os.path.exists(args.socket):
        os.unlink(args.socket)
    server.add_insecure_port("unix:" + args.socket)
    server.start()
    print("floor: serving on unix://" + args.socket, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    while not done.wait(1.0):
        pass
    server.stop(0).wait()
    if os.path.exists(args.socket):
        os.unlink(args.socket)


if __name__ == "__main__":
    main()
