#!/usr/bin/env python3
"""Speed of the PyML runtime, side by side with a floor measured in the same run.

The floor (floor_server.py) is a bare grpcio server on the same kind of Unix
socket, with the same gRPC options, answering ModelInfer with the pre-built
bytes of the very response PyML gives (no decoding, no model). The PyML server
runs an identity DataFrameModel. The client sends pre-serialized requests and
takes the response bytes as they come, so client work is the same for both.
Blocks of requests alternate between the two servers to share machine noise.

Scenarios (targets from issue 3):
  small: 1 row x 8 FP64 columns, sequential requests   p50 within 1.5x the floor
  large: 1,000,000 rows x 8 FP64 (64 MB in, 64 MB out)  p50 within 2x the floor

    /usr/bin/python3 bench/runtime/bench_runtime.py [--json results.json]
        [--small-requests 2000] [--large-rows 1000000] [--large-requests 5] [--columns 8]

Run it with a Python that has grpcio, protobuf, numpy, pandas and PyYAML
(Debian's /usr/bin/python3 with the python3-* packages). It prints a table
and, with --json, writes the results. It never fails on a missed target; it
reports it.
"""

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
RUNTIME = os.path.normpath(os.path.join(HERE, "..", "..", "runtime"))
sys.path.insert(0, RUNTIME)

import grpc  # noqa: E402

from pyml.proto import grpc_predict_v2_pb2 as pb  # noqa: E402

METHOD = "/inference.GRPCInferenceService/ModelInfer"
READY = "/inference.GRPCInferenceService/ServerReady"
MAX_MESSAGE_MB = 512


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", metavar="PATH", help="write the results here as JSON")
    parser.add_argument("--columns", type=int, default=8)
    parser.add_argument("--small-requests", type=int, default=2000, help="requests per server, small scenario (0: skip)")
    parser.add_argument("--large-rows", type=int, default=1_000_000)
    parser.add_argument("--large-requests", type=int, default=5, help="requests per server, large scenario (0: skip)")
    parser.add_argument("--block", type=int, default=10, help="requests per alternating block, small scenario")
    parser.add_argument("--python", default=sys.executable, help="Python that runs both servers")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="pyml-bench-")
    procs: List[subprocess.Popen] = []
    try:
        model_dir = _write_identity_model(work, args.columns)
        pyml_sock = os.path.join(work, "pyml.sock")
        pyml = _start(
            [args.python, "-m", "pyml", "serve", model_dir, "--socket", pyml_sock, "--log-level", "warning",
             "--max-message-mb", str(MAX_MESSAGE_MB)],
            work,
            "pyml",
        )
        procs.append(pyml)
        pyml_call = _client(pyml_sock, pyml)

        scenarios = [
            ("small", 1, args.small_requests, args.block, 1.5),
            ("large", args.large_rows, args.large_requests, 1, 2.0),
        ]
        results: List[Dict[str, Any]] = []
        for name, rows, requests, block, target in scenarios:
            if requests <= 0 or rows <= 0:
                continue  # skipped from the command line
            request = _request(rows, args.columns)
            response = pyml_call(request)
            _verify(request, response)
            response_file = os.path.join(work, name + ".response")
            with open(response_file, "wb") as f:
                f.write(response)
            floor_sock = os.path.join(work, "floor-%s.sock" % name)
            floor = _start(
                [args.python, os.path.join(HERE, "floor_server.py"), "--socket", floor_sock, "--response", response_file,
                 "--max-message-mb", str(MAX_MESSAGE_MB)],
                work,
                "floor",
            )
            procs.append(floor)
            floor_call = _client(floor_sock, floor)
            measured = _measure(request, {"floor": floor_call, "pyml": pyml_call}, requests, block)
            _stop(floor)
            procs.remove(floor)
            results.append(_summarize(name, rows, args.columns, len(request), len(response), measured, target))
            del request, response
        _print_table(results)
        if args.json:
            doc = {
                "benchmark": "pyml-runtime",
                "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "python": platform.python_version(),
                "grpcio": grpc.__version__,
                "numpy": np.__version__,
                "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
                "transport": "unix socket",
                "scenarios": results,
            }
            with open(args.json, "w") as f:
                json.dump(doc, f, indent=2)
            print("results written to %s" % args.json)
        return 0
    finally:
        for p in procs:
            _stop(p)
        shutil.rmtree(work, ignore_errors=True)


def _write_identity_model(work: str, columns: int) -> str:
    model_dir = os.path.join(work, "identity")
    os.makedirs(model_dir)
    cols = "\n".join("  - {name: c%d, dtype: float64}" % i for i in range(columns))
    with open(os.path.join(model_dir, "pyml.yaml"), "w") as f:
        f.write(
            "name: identity\nversion: '1'\nmodel: model:Identity\nkind: dataframe\nthread_safe: true\n"
            "inputs:\n%s\noutputs:\n%s\n" % (cols, cols)
        )
    with open(os.path.join(model_dir, "model.py"), "w") as f:
        f.write(
            "from pyml import DataFrameModel\n\n\nclass Identity(DataFrameModel):\n"
            "    def predict(self, df):\n        return df\n"
        )
    return model_dir


def _request(rows: int, columns: int) -> bytes:
    rng = np.random.default_rng(3)
    request = pb.ModelInferRequest(model_name="identity")
    request.parameters["content_type"].string_param = "pd"
    for i in range(columns):
        request.inputs.add(name="c%d" % i, datatype="FP64", shape=[rows])
        request.raw_input_contents.append(rng.random(rows).tobytes())
    return request.SerializeToString()  # type: ignore[no-any-return]


def _verify(request: bytes, response: bytes) -> None:
    req = pb.ModelInferRequest.FromString(request)
    resp = pb.ModelInferResponse.FromString(response)
    assert [o.name for o in resp.outputs] == [i.name for i in req.inputs], "identity model answered other columns"
    for a, b in zip(req.raw_input_contents, resp.raw_output_contents):
        assert a == b, "identity model changed the values"


def _start(cmd: List[str], work: str, label: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=RUNTIME)
    log = open(os.path.join(work, label + ".log"), "wb")
    return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=work)


def _client(sock: str, proc: subprocess.Popen) -> Any:
    options = [
        ("grpc.max_receive_message_length", MAX_MESSAGE_MB * 1024 * 1024),
        ("grpc.max_send_message_length", MAX_MESSAGE_MB * 1024 * 1024),
    ]
    channel = grpc.insecure_channel("unix:" + sock, options=options)
    ready = channel.unary_unary(
        READY, request_serializer=pb.ServerReadyRequest.SerializeToString, response_deserializer=pb.ServerReadyResponse.FromString
    )
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            raise SystemExit("server exited with %s before it was ready; see its log" % proc.returncode)
        try:
            if ready(pb.ServerReadyRequest(), timeout=2, wait_for_ready=True).ready:
                break
        except grpc.RpcError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("server not ready after 120 s")
    return channel.unary_unary(METHOD)  # bytes in, bytes out


def _measure(request: bytes, calls: Dict[str, Any], requests: int, block: int) -> Dict[str, List[float]]:
    """Alternates blocks of `block` requests between the servers, so both see the same machine noise."""
    times: Dict[str, List[float]] = {name: [] for name in calls}
    for call in calls.values():  # warm up both
        for _ in range(min(20, max(1, requests // 10))):
            call(request)
    done = 0
    while done < requests:
        n = min(block, requests - done)
        for name, call in calls.items():
            out = times[name]
            for _ in range(n):
                t = time.perf_counter()
                call(request)
                out.append(time.perf_counter() - t)
        done += n
    return times


def _pct(values: List[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _summarize(
    name: str, rows: int, columns: int, request_bytes: int, response_bytes: int, times: Dict[str, List[float]], target: float
) -> Dict[str, Any]:
    servers = {}
    for server, values in times.items():
        p50 = _pct(values, 0.5)
        servers[server] = {
            "requests": len(values),
            "p50_ms": p50 * 1e3,
            "p99_ms": _pct(values, 0.99) * 1e3,
            "mean_ms": statistics.mean(values) * 1e3,
            "throughput_rps": len(values) / sum(values),
            "mb_per_s": (request_bytes + response_bytes) / 1e6 / p50,
        }
    ratio_p50 = servers["pyml"]["p50_ms"] / servers["floor"]["p50_ms"]
    return {
        "scenario": name,
        "rows": rows,
        "columns": columns,
        "dtype": "FP64",
        "request_bytes": request_bytes,
        "response_bytes": response_bytes,
        "floor": servers["floor"],
        "pyml": servers["pyml"],
        "ratio_p50": ratio_p50,
        "ratio_p99": servers["pyml"]["p99_ms"] / servers["floor"]["p99_ms"],
        "ratio_throughput": servers["floor"]["throughput_rps"] / servers["pyml"]["throughput_rps"],
        "target_ratio_p50": target,
        "within_target": ratio_p50 <= target,
    }


def _print_table(results: List[Dict[str, Any]]) -> None:
    head = "%-6s %-6s %12s %10s %10s %11s %10s" % ("case", "server", "size", "p50 ms", "p99 ms", "req/s", "MB/s")
    print(head)
    print("-" * len(head))
    for r in results:
        size = "%dx%d" % (r["rows"], r["columns"])
        for server in ("floor", "pyml"):
            s = r[server]
            print(
                "%-6s %-6s %12s %10.3f %10.3f %11.1f %10.1f"
                % (r["scenario"], server, size, s["p50_ms"], s["p99_ms"], s["throughput_rps"], s["mb_per_s"])
            )
        print(
            "%-6s ratio pyml/floor: p50 %.2fx  p99 %.2fx  throughput %.2fx  (target p50 <= %.1fx: %s)"
            % (r["scenario"], r["ratio_p50"], r["ratio_p99"], r["ratio_throughput"], r["target_ratio_p50"],
               "met" if r["within_target"] else "MISSED")
        )


def _stop(proc: Optional[subprocess.Popen]) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


if __name__ == "__main__":
    sys.exit(main())
