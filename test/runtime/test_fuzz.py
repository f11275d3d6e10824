"""Bad-input fuzz: at least 10,000 malformed requests, each answered
INVALID_ARGUMENT, while the server stays up and keeps answering valid requests
correctly (checked every 25 requests)."""

import random
import struct
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from v2client import RpcFailure, Tensor, build_request, encode_raw

from pyml.proto import grpc_predict_v2_pb2 as pb

MALFORMED = 10_000
VALID_EVERY = 25
DATATYPES = ["BOOL", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64", "FP16", "FP32", "FP64", "BYTES"]
WIDTH = {"BOOL": 1, "INT8": 1, "INT16": 2, "INT32": 4, "INT64": 8, "UINT8": 1, "UINT16": 2, "UINT32": 4, "UINT64": 8, "FP16": 2, "FP32": 4, "FP64": 8}


def valid_columns(rng, n):
    r = np.random.default_rng(rng.randrange(2**32))
    return {
        "id": ("INT64", r.integers(-(2**40), 2**40, n)),
        "x": ("FP64", r.random(n)),
        "flag": ("BOOL", r.random(n) > 0.5),
        "name": ("BYTES", ["n%d\u00e9" % v for v in r.integers(0, 1000, n)]),
        "blob": ("BYTES", [bytes([v % 256]) * (v % 5) for v in r.integers(0, 1000, n)]),
        "small": ("INT8", r.integers(-128, 128, n).astype(np.int8)),
        "u": ("UINT16", r.integers(0, 65536, n).astype(np.uint16)),
        "f": ("FP32", r.random(n).astype(np.float32)),
    }


def valid_request(rng, raw=True):
    n = rng.randrange(0, 6)
    cols = valid_columns(rng, n)
    order = list(cols)
    rng.shuffle(order)
    tensors = [Tensor(name, cols[name][0], [n], cols[name][1]) for name in order]
    return build_request("frame", tensors, raw=raw, request_id="v%d" % rng.randrange(10**6)), cols


def check_valid(result, cols):
    for name, (dt, values) in cols.items():
        got = result[name]
        if dt == "BYTES":
            assert got == [v.encode() if isinstance(v, str) else v for v in values], name
        else:
            assert got.tobytes() == encode_raw(dt, values), name


# ---------------------------------------------------------------- mutations: each makes a request invalid


def pick(rng, r):
    return rng.randrange(len(r.inputs))


def m_drop_input(rng, r):
    i = pick(rng, r)
    del r.inputs[i]
    if r.raw_input_contents:
        del r.raw_input_contents[i]


def m_unknown_input(rng, r):
    n = r.inputs[0].shape[0]
    r.inputs.add(name=rng.choice(["zz", "X", "id ", "", "\u00e9", "name2"]), datatype="FP64", shape=[n])
    if r.raw_input_contents:
        r.raw_input_contents.append(b"\x00" * 8 * n)


def m_datatype(rng, r):
    t = r.inputs[pick(rng, r)]
    wrong = [d for d in DATATYPES if d != t.datatype] + ["", "FLOAT64", "fp64", "STRING", "\x00"]
    t.datatype = rng.choice(wrong)


def m_length(rng, r):
    if len(r.inputs) < 2:
        return m_datatype(rng, r)
    i = pick(rng, r)
    t = r.inputs[i]
    n = t.shape[0] + rng.choice([1, 2, 7])
    t.shape[0] = n
    if r.raw_input_contents:
        if t.datatype == "BYTES":
            r.raw_input_contents[i] = b"\x00\x00\x00\x00" * n
        else:
            r.raw_input_contents[i] = b"\x00" * WIDTH[t.datatype] * n
    else:
        _fill_typed(t, n)


def _fill_typed(t, n):
    field = {"INT64": "int64_contents", "FP64": "fp64_contents", "BOOL": "bool_contents", "BYTES": "bytes_contents",
             "INT8": "int_contents", "UINT16": "uint_contents", "FP32": "fp32_contents"}[t.datatype]
    t.contents.Clear()
    values = {"bool_contents": False, "bytes_contents": b""}.get(field, 0)
    getattr(t.contents, field).extend([values] * n)


def m_shape_rank(rng, r):
    t = r.inputs[pick(rng, r)]
    n = t.shape[0]
    t.ClearField("shape")
    t.shape.extend(rng.choice([[n, 2], [1, n, 1], [2, n], [-1], [n, -3]]) if n else [[0, 2], [-1]][rng.randrange(2)])


def m_raw_size(rng, r):
    if not r.raw_input_contents:
        return m_length(rng, r)
    i = pick(rng, r)
    t = r.inputs[i]
    data = r.raw_input_contents[i]
    if t.datatype == "BYTES":
        choice = rng.randrange(4)
        if choice == 0:
            data = data + b"\x01"  # trailing byte
        elif choice == 1:
            data = data + struct.pack("<I", 100)  # an element too many, cut short
        elif choice == 2 and t.name == "name":
            data = b"".join(struct.pack("<I", 2) + b"\xff\xfe" for _ in range(t.shape[0])) or b"\x00"
        else:
            data = data + b"\x05\x00\x00\x00ab"
    else:
        w = WIDTH[t.datatype]
        data = data + b"\x00" * rng.randrange(1, 3 * w) if rng.random() < 0.5 or len(data) == 0 else data[: -rng.randrange(1, w + 1)]
    r.raw_input_contents[i] = data


def m_raw_count(rng, r):
    if not r.raw_input_contents or rng.random() < 0.5:
        r.raw_input_contents.append(b"\x00" * 8)
        if len(r.raw_input_contents) == len(r.inputs):  # typed request: now mixed instead
            r.raw_input_contents.append(b"")
    else:
        del r.raw_input_contents[rng.randrange(len(r.raw_input_contents))]


def m_mixed(rng, r):
    t = r.inputs[pick(rng, r)]
    if r.raw_input_contents:
        _fill_typed(t, max(1, t.shape[0]))
    else:
        for _ in r.inputs:
            r.raw_input_contents.append(b"")
        _fill_typed(t, max(1, t.shape[0]))


def m_duplicate(rng, r):
    i = pick(rng, r)
    t = r.inputs.add()
    t.CopyFrom(r.inputs[i])
    if r.raw_input_contents:
        r.raw_input_contents.append(r.raw_input_contents[i])


def m_typed_field(rng, r):
    if r.raw_input_contents:
        return m_raw_size(rng, r)
    i = pick(rng, r)
    t = r.inputs[i]
    n = max(1, t.shape[0])
    t.shape[0] = n
    t.contents.Clear()
    field = rng.choice(["bool_contents", "int_contents", "int64_contents", "uint_contents", "uint64_contents", "fp32_contents", "fp64_contents", "bytes_contents"])
    expected = {"INT64": "int64_contents", "FP64": "fp64_contents", "BOOL": "bool_contents", "BYTES": "bytes_contents",
                "INT8": "int_contents", "UINT16": "uint_contents", "FP32": "fp32_contents"}[t.datatype]
    if field == expected:
        if field == "int_contents":
            getattr(t.contents, field).extend([1000] * n)  # out of range for INT8
        elif field == "uint_contents":
            getattr(t.contents, field).extend([70000] * n)  # out of range for UINT16
        else:
            getattr(t.contents, field).extend([{"bool_contents": True, "bytes_contents": b"x"}.get(field, 1)] * (n + 1))
    else:
        getattr(t.contents, field).extend([{"bool_contents": True, "bytes_contents": b"x"}.get(field, 1)] * n)


def m_bool_byte(rng, r):
    if not r.raw_input_contents:
        return m_typed_field(rng, r)
    i = [k for k, t in enumerate(r.inputs) if t.name == "flag"]
    if not i or r.inputs[i[0]].shape[0] == 0:
        return m_datatype(rng, r)
    data = bytearray(r.raw_input_contents[i[0]])
    data[rng.randrange(len(data))] = rng.randrange(2, 256)
    r.raw_input_contents[i[0]] = bytes(data)


def m_unknown_output(rng, r):
    r.outputs.add(name=rng.choice(["nope", "ID", "x ", ""]))


def m_validity(rng, r):
    n = r.inputs[0].shape[0]
    kind = rng.randrange(3)
    t = r.inputs.add(name="v%d" % rng.randrange(100), datatype="BOOL" if kind != 2 else "INT8", shape=[n if kind != 1 else n + 1])
    t.parameters["validity_of"].string_param = "id" if kind else rng.choice(["zz", ""])
    if r.raw_input_contents:
        r.raw_input_contents.append(b"\x01" * t.shape[0])
    else:
        t.contents.bool_contents.extend([True] * t.shape[0]) if kind != 2 else t.contents.int_contents.extend([1] * t.shape[0])


def m_garbage(rng, r):
    data = r.SerializeToString()
    anywhere = [
        b"\x3a\xff\xff\xff\xff\x0f",  # raw entry claiming 4 GiB
        bytes([rng.randrange(1, 16) << 3 | rng.choice([3, 4, 6, 7])]),  # group / invalid wire types
        b"\x2a\x03\x0a\x05ab",  # nested message whose field overruns it
    ]
    at_end = [
        b"\x2a" + bytes([rng.randrange(0x40, 0x80)]) + bytes(rng.randrange(0, 30)),  # inputs entry cut short
        b"\x0a",  # model_name tag with no length
        b"\x3a\x85",  # a varint cut short
    ]
    if rng.random() < 0.5:
        return data + rng.choice(anywhere + at_end)
    return rng.choice(anywhere) + data


MUTATIONS = [
    m_drop_input, m_unknown_input, m_datatype, m_length, m_shape_rank, m_raw_size, m_raw_count, m_mixed,
    m_duplicate, m_typed_field, m_bool_byte, m_unknown_output, m_validity, m_garbage,
]


def malformed(rng, bases):
    r = pb.ModelInferRequest.FromString(rng.choice(bases))
    mutation = rng.choice(MUTATIONS)
    out = mutation(rng, r)
    data = out if isinstance(out, bytes) else r.SerializeToString()
    return mutation.__name__, data


def test_fuzz_malformed_requests(frame_server):
    client = frame_server.client
    rng = random.Random(20240601)
    bases = [valid_request(rng, raw=rng.random() < 0.7)[0].SerializeToString() for _ in range(80)]
    jobs = []
    for k in range(MALFORMED):
        jobs.append(("bad",) + malformed(rng, bases))
        if k % VALID_EVERY == 0:
            request, cols = valid_request(rng, raw=rng.random() < 0.7)
            jobs.append(("good", request, cols))

    def run(job):
        if job[0] == "good":
            _, request, cols = job
            result = client.infer_request(request)
            assert result.response.id == request.id
            check_valid(result, cols)
            return None
        _, name, data = job
        try:
            client.infer_bytes(data)
        except RpcFailure as e:
            if e.code.name != "INVALID_ARGUMENT" or not e.details:
                return "%s -> %s: %s" % (name, e.code.name, e.details)
            return None
        return "%s -> answered OK" % name

    with ThreadPoolExecutor(max_workers=4) as pool:
        problems = [p for p in pool.map(run, jobs) if p]
    assert not problems, problems[:10]
    assert sum(1 for j in jobs if j[0] == "bad") >= 10_000
    assert frame_server.proc.poll() is None
    assert "unexpected error" not in frame_server.log()
    request, cols = valid_request(random.Random(1))
    check_valid(client.infer_request(request), cols)
