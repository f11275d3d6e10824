/**
 * "Copy as grpcurl": the same ModelInfer request as a grpcurl command line that can be pasted into a
 * shell. Inputs go as typed `contents` (readable and editable) unless a datatype has no typed field
 * (FP16), in which case every input goes as base64 raw contents, as V2 does not allow mixing them.
 */
import * as path from 'path';
import type { EncodedTensors } from '../protocol/arrowCodec';
import { decodeTensor } from '../protocol/arrowCodec';
import { normalizeAddress } from '../protocol/v2client';

const TYPED_FIELD: Readonly<Record<string, string>> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents', INT16: 'int_contents', INT32: 'int_contents', INT64: 'int64_contents',
  UINT8: 'uint_contents', UINT16: 'uint_contents', UINT32: 'uint_contents', UINT64: 'uint64_contents',
  FP32: 'fp32_contents', FP64: 'fp64_contents', BYTES: 'bytes_contents',
};

/** Above this many bytes of JSON the command still works but is unwieldy; the caller may warn. */
export const LARGE_GRPCURL_BYTES = 1 << 20;

export function grpcurlCommand(address: string, protoPath: string, model: string, encoded: EncodedTensors): string {
  const typed = encoded.tensors.every((t) => TYPED_FIELD[t.datatype] !== undefined);
  const inputs = encoded.tensors.map((t, i) => {
    const base: Record<string, unknown> = { name: t.name, datatype: t.datatype, shape: t.shape.map(String) };
    if (t.parameters) base['parameters'] = jsonParameters(t.parameters);
    if (!typed) return base;
    const field = TYPED_FIELD[t.datatype] ?? '';
    const values = decodeTensor(t, encoded.raw[i]).values;
    const list: unknown[] = [];
    for (let j = 0; j < values.length; j++) list.push(jsonContent(values.get(j) as unknown));
    return { ...base, contents: { [field]: list } };
  });
  const body: Record<string, unknown> = { model_name: model, inputs };
  if (Object.keys(encoded.parameters).length > 0) body['parameters'] = jsonParameters(encoded.parameters);
  if (!typed) body['raw_input_contents'] = encoded.raw.map((r) => r.toString('base64'));
  const target = normalizeAddress(address);
  const unix = target.startsWith('unix://');
  const where = unix ? target.slice('unix://'.length) : target;
  return [
    `grpcurl -plaintext${unix ? ' -unix' : ''} -max-msg-sz 536870912 \\`,
    `  -import-path ${quote(path.dirname(protoPath))} -proto ${quote(path.basename(protoPath))} \\`,
    `  -d @ ${quote(where)} inference.GRPCInferenceService/ModelInfer <<'PYML_REQUEST'`,
    JSON.stringify(body),
    'PYML_REQUEST',
    '',
  ].join('\n');
}

function jsonParameters(params: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (typeof v === 'boolean') out[k] = { bool_param: v };
    else if (typeof v === 'string') out[k] = { string_param: v };
    else if (typeof v === 'bigint') out[k] = { int64_param: v.toString() };
    else if (typeof v === 'number') out[k] = Number.isInteger(v) ? { int64_param: String(v) } : { double_param: v };
  }
  return out;
}

/** A value in protobuf's JSON mapping: 64-bit integers as strings, bytes as base64, NaN as "NaN". */
function jsonContent(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  if (typeof v === 'string') return Buffer.from(v, 'utf8').toString('base64');
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return v;
}

/** POSIX shell single quotes. */
export function quote(s: string): string {
  return /^[A-Za-z0-9_./:@=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
