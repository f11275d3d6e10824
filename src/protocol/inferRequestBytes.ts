/**
 * ModelInferRequest serialization without copying raw contents through protobufjs.
 *
 * proto-loader's serializer encodes every `raw_input_contents` entry into protobufjs's writer and
 * then copies the finished message once more (Buffer.from): two copies of megabytes per request,
 * into freshly allocated memory. Here everything but the raw contents is encoded by the same
 * serializer (a few hundred bytes), and the raw contents are appended as field-7 entries after it,
 * each copied once into the message. Protobuf lets a message's fields come in any order and a
 * repeated field's entries be split, so the bytes parse to the same message (the runtime's wire.py
 * reads raw entries wherever they are).
 */
import type * as grpc from '@grpc/grpc-js';
import type { ModelInferRequest } from './v2types';

/** Field 7 (raw_input_contents), wire type 2 (length-delimited). */
const RAW_INPUT_TAG = (7 << 3) | 2;

export function serializeInferRequest(serializeRest: (value: object) => Buffer, request: ModelInferRequest): Buffer {
  const raw = request.raw_input_contents ?? [];
  if (raw.length === 0) return serializeRest(request);
  const head = serializeRest({ ...request, raw_input_contents: [] });
  let total = head.byteLength;
  for (const r of raw) total += 1 + varintLength(r.byteLength) + r.byteLength;
  const out = Buffer.allocUnsafe(total);
  out.set(head, 0);
  let at = head.byteLength;
  for (const r of raw) {
    out[at++] = RAW_INPUT_TAG;
    at = writeVarint(out, at, r.byteLength);
    out.set(r, at);
    at += r.byteLength;
  }
  return out;
}

/** The service definition with ModelInfer's request serializer replaced by serializeInferRequest. */
export function withFastInferSerializer(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const infer = service['ModelInfer'];
  if (!infer) return service;
  const serializeRest = infer.requestSerialize as (value: object) => Buffer;
  return { ...service, ModelInfer: { ...infer, requestSerialize: (value: ModelInferRequest) => serializeInferRequest(serializeRest, value) } };
}

function varintLength(n: number): number {
  let length = 1;
  for (let v = n; v >= 0x80; v = Math.floor(v / 0x80)) length++;
  return length;
}

function writeVarint(out: Buffer, at: number, n: number): number {
  let i = at;
  let v = n;
  while (v >= 0x80) {
    out[i++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[i++] = v;
  return i;
}
