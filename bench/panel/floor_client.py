"""The floor's client for bench/panel: grpcio sends a pre-serialized ModelInferRequest to a server
on a Unix socket N times and takes the response bytes as they come (no decoding), printing the
latencies as JSON. Run with Debian's /usr/bin/python3 (python3-grpcio).

    python3 floor_client.py --socket PATH --request FILE --requests N
"""

import argparse
import json
import time

import grpc

METHOD = "/inference.GRPCInferenceService/ModelInfer"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--socket", required=True)
    parser.add_argument("--request", required=True)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    with open(args.request, "rb") as f:
        request = f.read()
    size = 512 * 1024 * 1024
    options = [("grpc.max_receive_message_length", size), ("grpc.max_send_message_length", size)]
    channel = grpc.insecure_channel("unix:" + args.socket, options=options)
    call = channel.unary_unary(METHOD)
    grpc.channel_ready_future(channel).result(timeout=60)
    for _ in range(args.warmup):
        call(request)
    times = []
    response_bytes = 0
    for _ in range(args.requests):
        t0 = time.perf_counter()
        response = call(request)
        times.append((time.perf_counter() - t0) * 1000)
        response_bytes = len(response)
    print(json.dumps({"ms": times, "responseBytes": response_bytes}))


if __name__ == "__main__":
    main()
