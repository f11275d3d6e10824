/**
 * A sample file (src/scaffold/README.md) as an Open Inference Protocol request, and a response back as
 * sample outputs: raw contents written and read by hand, independent of the extension's Arrow codec.
 * Shared by the integration test of the templates and the extension suite in code-server.
 */
import type { Field, Manifest } from '../../src/model/manifest';
import type { Sample } from '../../src/scaffold/sample';
import { toInferParameters, type ModelInferRequest, type ModelInferResponse } from '../../src/protocol/v2types';

type Writer = (buf: Buffer, value: number, at: number) => void;

const FIXED: Record<string, { size: number; write: Writer; read: (buf: Buffer, at: number) => number | boolean }> = {
  BOOL: { size: 1, write: (b, v, at) => b.writeUInt8(v ? 1 : 0, at), read: (b, at) => b.readUInt8(at) !== 0 },
  INT8: { size: 1, write: (b, v, at) => b.writeInt8(v, at), read: (b, at) => b.readInt8(at) },
  UINT8: { size: 1, write: (b, v, at) => b.writeUInt8(v, at), read: (b, at) => b.readUInt8(at) },
  INT16: { size: 2, write: (b, v, at) => b.writeInt16LE(v, at), read: (b, at) => b.readInt16LE(at) },
  UINT16: { size: 2, write: (b, v, at) => b.writeUInt16LE(v, at), read: (b, at) => b.readUInt16LE(at) },
  INT32: { size: 4, write: (b, v, at) => b.writeInt32LE(v, at), read: (b, at) => b.readInt32LE(at) },
  UINT32: { size: 4, write: (b, v, at) => b.writeUInt32LE(v, at), read: (b, at) => b.readUInt32LE(at) },
  INT64: { size: 8, write: (b, v, at) => b.writeBigInt64LE(BigInt(v), at), read: (b, at) => Number(b.readBigInt64LE(at)) },
  UINT64: { size: 8, write: (b, v, at) => b.writeBigUInt64LE(BigInt(v), at), read: (b, at) => Number(b.readBigUInt64LE(at)) },
  FP32: { size: 4, write: (b, v, at) => b.writeFloatLE(v, at), read: (b, at) => b.readFloatLE(at) },
  FP64: { size: 8, write: (b, v, at) => b.writeDoubleLE(v, at), read: (b, at) => b.readDoubleLE(at) },
};

function flatten(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]).flatMap(flatten) : [value];
}

function shapeOf(value: unknown): number[] {
  return Array.isArray(value) ? [value.length, ...(value.length > 0 ? shapeOf((value as unknown[])[0]) : [])] : [];
}

function encode(field: Field, value: readonly unknown[]): Buffer {
  const flat = flatten(value);
  if (field.datatype === 'BYTES') {
    return Buffer.concat(flat.flatMap((v) => {
      const bytes = Buffer.from(String(v), 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32LE(bytes.length);
      return [len, bytes];
    }));
  }
  const codec = FIXED[field.datatype];
  if (!codec) throw new Error(`${field.name}: cannot encode ${field.datatype}`);
  const buf = Buffer.alloc(codec.size * flat.length);
  flat.forEach((v, i) => {
    codec.write(buf, typeof v === 'boolean' ? Number(v) : Number(v), i * codec.size);
  });
  return buf;
}

/** The sample's inputs as a ModelInferRequest with raw contents, in the manifest's order and dtypes. */
export function sampleRequest(manifest: Manifest, sample: Sample): ModelInferRequest {
  const inputs = manifest.inputs.map((field) => {
    const value = sample.inputs[field.name];
    if (!value) throw new Error(`the sample has no input '${field.name}'`);
    return { field, value };
  });
  return {
    model_name: manifest.name,
    ...(manifest.kind === 'dataframe' ? { parameters: toInferParameters({ content_type: 'pd' }) } : {}),
    inputs: inputs.map(({ field, value }) => ({ name: field.name, datatype: field.datatype, shape: shapeOf(value) })),
    raw_input_contents: inputs.map(({ field, value }) => encode(field, value)),
  };
}

/** The response's outputs as sample values: nested lists by shape (DataFrame columns are 1-D). */
export function responseOutputs(response: ModelInferResponse): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  response.outputs.forEach((tensor, i) => {
    const raw = response.raw_output_contents[i];
    if (!raw) throw new Error(`output '${tensor.name}' has no raw contents`);
    let flat: unknown[] = [];
    if (tensor.datatype === 'BYTES') {
      for (let at = 0; at < raw.length;) {
        const len = raw.readUInt32LE(at);
        flat.push(raw.subarray(at + 4, at + 4 + len).toString('utf8'));
        at += 4 + len;
      }
    } else {
      const codec = FIXED[tensor.datatype];
      if (!codec) throw new Error(`${tensor.name}: cannot decode ${tensor.datatype}`);
      flat = Array.from({ length: raw.length / codec.size }, (_, k) => codec.read(raw, k * codec.size));
    }
    out[tensor.name] = nest(flat, tensor.shape.map(Number));
  });
  return out;
}

function nest(flat: readonly unknown[], shape: readonly number[]): unknown[] {
  if (shape.length <= 1) return [...flat];
  const [, ...inner] = shape;
  const size = inner.reduce((a, b) => a * b, 1);
  return Array.from({ length: shape[0] ?? 0 }, (_, i) => nest(flat.slice(i * size, (i + 1) * size), inner));
}
