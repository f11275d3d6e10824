/**
 * Saved samples: a request and the answer it got, in `samples/<name>.json` next to the model, so
 * they can be read, diffed in review and replayed as tests (src/testing).
 *
 * The format is the Open Inference Protocol's JSON (REST) form of a request and a response, with
 * what JSON lacks spelled out:
 *
 *   {"pyml_sample": 1, "model": "churn", "kind": "dataframe", "saved": "2024-05-01T12:00:00Z",
 *    "tolerance": {"rtol": 1e-6, "atol": 1e-9},
 *    "request":  {"parameters": {"content_type": "pd"},
 *                 "inputs":  [{"name": "tenure", "datatype": "INT64", "shape": [2], "data": [3, null]}]},
 *    "response": {"outputs": [{"name": "p", "datatype": "FP64", "shape": [2], "data": [0.25, "NaN"]}]}}
 *
 * `data` is flat, row-major. null is a missing value (DataFrame columns only); floats NaN, Infinity
 * and -Infinity are the strings "NaN", "Infinity", "-Infinity"; 64-bit integers beyond 2^53 are
 * decimal strings; BYTES that are not UTF-8 text are {"b64": "..."}.
 */
import * as arrow from 'apache-arrow';
import { promises as fs } from 'fs';
import * as path from 'path';
import type { V2Datatype } from '../model/dtypes';
import { CodecError, tensorsToTable, v2DatatypeOf, type AnyTable, type AnyVector, type DecodedTensor, type TensorInput } from '../protocol/arrowCodec';
import { CONTENT_TYPE, CONTENT_TYPE_DATAFRAME } from '../protocol/wire';
import { ColumnBuilder } from '../tables/columnBuilder';
import { DEFAULT_TOLERANCE, type Tolerance } from './compare';
import type { PreparedInput } from './inputs';
import { isV2Datatype } from './panelSchema';

export const SAMPLES_DIR = 'samples';
export const SAMPLE_VERSION = 1;

type JsonValue = null | boolean | number | string | { b64: string };

export interface SampleTensor {
  readonly name: string;
  readonly datatype: V2Datatype;
  readonly shape: readonly number[];
  readonly data: readonly JsonValue[];
}

export interface SampleFile {
  readonly pyml_sample: number;
  readonly model: string;
  readonly kind: 'dataframe' | 'tensor';
  readonly saved: string;
  readonly tolerance: Tolerance;
  readonly request: { readonly parameters: Readonly<Record<string, string>>; readonly inputs: readonly SampleTensor[] };
  readonly response: { readonly outputs: readonly SampleTensor[] };
}

/** A sample read back: the request ready to send, and the answer to expect as a table. */
export interface Sample {
  readonly file: string;
  readonly model: string;
  readonly input: PreparedInput;
  readonly expected: AnyTable;
  readonly tolerance: Tolerance;
}

export class SampleError extends Error {
  override readonly name = 'SampleError';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

/** The JSON of a sample made from a request and the outputs it got. */
export function sampleJson(model: string, input: PreparedInput, outputs: readonly DecodedTensor[], now = new Date()): string {
  const inputs: SampleTensor[] =
    input.kind === 'table'
      ? input.table.schema.fields.map((f) => {
          const column = input.table.getChild(f.name);
          if (!column) throw new Error(`column ${f.name} is missing`);
          return tensorJson(f.name, datatypeOf(f.name, column), [input.table.numRows], column);
        })
      : input.tensors.map((t) => tensorJson(t.name, t.datatype ?? datatypeOf(t.name, t.values), t.shape, t.values));
  const sample: SampleFile = {
    pyml_sample: SAMPLE_VERSION,
    model,
    kind: input.kind === 'table' ? 'dataframe' : 'tensor',
    saved: now.toISOString(),
    tolerance: DEFAULT_TOLERANCE,
    request: { parameters: input.kind === 'table' ? { [CONTENT_TYPE]: CONTENT_TYPE_DATAFRAME } : {}, inputs },
    response: { outputs: outputs.map((o) => tensorJson(o.name, o.datatype, o.shape, o.values)) },
  };
  return `${pretty(sample, '')}\n`;
}

/** Writes `samples/<name>.json` in the model folder (creating samples/); returns the file's path. */
export async function saveSample(modelFolder: string, name: string, json: string): Promise<string> {
  if (!/^[A-Za-z0-9][A-Za-z0-9 _.-]*$/.test(name) || name.includes('..')) throw new Error(`'${name}' is not a usable sample name`);
  const dir = path.join(modelFolder, SAMPLES_DIR);
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, name.endsWith('.json') ? name : `${name}.json`);
  await fs.writeFile(file, json, 'utf8');
  return file;
}

/** Reads and checks a sample file. */
export async function readSample(file: string): Promise<Sample> {
  let value: unknown;
  try {
    value = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (err) {
    throw new SampleError(file, `cannot be read as JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  return parseSample(file, value);
}

export function parseSample(file: string, value: unknown): Sample {
  const fail = (m: string): never => {
    throw new SampleError(file, m);
  };
  if (!isRecord(value)) return fail('is not a JSON object');
  if (value['pyml_sample'] !== SAMPLE_VERSION) fail(`is not a PyML sample (expected "pyml_sample": ${SAMPLE_VERSION})`);
  const model = typeof value['model'] === 'string' ? value['model'] : fail('has no "model"');
  const kind = value['kind'] === 'tensor' ? 'tensor' : 'dataframe';
  const request = isRecord(value['request']) ? value['request'] : fail('has no "request"');
  const response = isRecord(value['response']) ? value['response'] : fail('has no "response"');
  const tol = isRecord(value['tolerance']) ? value['tolerance'] : {};
  const tolerance: Tolerance = {
    rtol: typeof tol['rtol'] === 'number' ? tol['rtol'] : DEFAULT_TOLERANCE.rtol,
    atol: typeof tol['atol'] === 'number' ? tol['atol'] : DEFAULT_TOLERANCE.atol,
  };
  const inputs = tensorsOf(file, request['inputs'], 'request.inputs');
  const outputs = tensorsOf(file, response['outputs'], 'response.outputs');
  let input: PreparedInput;
  if (kind === 'dataframe') {
    const columns: Record<string, AnyVector> = {};
    for (const t of inputs) columns[t.name] = t.values;
    input = { kind: 'table', table: new arrow.Table<Record<string, arrow.DataType>>(columns) };
  } else {
    input = { kind: 'tensors', tensors: inputs };
  }
  let expected: AnyTable;
  try {
    expected = tensorsToTable(outputs.map((o) => ({ name: o.name, datatype: o.datatype ?? 'BYTES', shape: o.shape, values: o.values })));
  } catch (err) {
    throw new SampleError(file, err instanceof CodecError ? err.message : String(err));
  }
  return { file, model, input, expected, tolerance };
}

function tensorsOf(file: string, value: unknown, where: string): TensorInput[] {
  if (!Array.isArray(value)) throw new SampleError(file, `"${where}" is not a list`);
  return value.map((t: unknown, i) => {
    if (!isRecord(t)) throw new SampleError(file, `${where}[${i}] is not an object`);
    const name = typeof t['name'] === 'string' ? t['name'] : '';
    const datatype = typeof t['datatype'] === 'string' ? t['datatype'] : '';
    if (!name) throw new SampleError(file, `${where}[${i}] has no name`);
    if (!isV2Datatype(datatype)) throw new SampleError(file, `${where}[${i}] ('${name}') has datatype '${datatype}', not a V2 datatype`);
    const shape = Array.isArray(t['shape']) && t['shape'].every((d) => Number.isSafeInteger(d) && (d as number) >= 0) ? (t['shape'] as number[]) : undefined;
    if (!shape) throw new SampleError(file, `${where}[${i}] ('${name}') has no valid shape`);
    const data = Array.isArray(t['data']) ? (t['data'] as unknown[]).flat(Infinity) : undefined;
    if (!data) throw new SampleError(file, `${where}[${i}] ('${name}') has no data list`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (data.length !== count) throw new SampleError(file, `${where}[${i}] ('${name}') has ${data.length} values; shape [${shape.join(', ')}] needs ${count}`);
    const builder = ColumnBuilder.of(name, datatype, data.length);
    data.forEach((v, j) => {
      const problem = appendJson(builder, v);
      if (problem) throw new SampleError(file, `${where}[${i}] ('${name}') value ${j}: ${problem}`);
    });
    return { name, datatype, shape, values: builder.finish() };
  });
}

function appendJson(builder: ColumnBuilder, v: unknown): string | undefined {
  if (v === null) {
    builder.appendValue(null);
    return undefined;
  }
  if (isRecord(v) && typeof v['b64'] === 'string') {
    builder.appendValue(Buffer.from(v['b64'], 'base64'));
    return undefined;
  }
  if (typeof v === 'number' || typeof v === 'boolean') return builder.appendCell(String(v));
  if (typeof v === 'string') return builder.appendCell(v === 'Infinity' ? 'inf' : v === '-Infinity' ? '-inf' : v);
  return `unexpected ${typeof v}`;
}

function tensorJson(name: string, datatype: V2Datatype, shape: readonly number[], values: AnyVector): SampleTensor {
  const data: JsonValue[] = new Array<JsonValue>(values.length);
  for (let i = 0; i < values.length; i++) data[i] = values.isValid(i) ? jsonValue(values.get(i) as unknown) : null;
  return { name, datatype, shape: [...shape], data };
}

function jsonValue(v: unknown): JsonValue {
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
    return v;
  }
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  if (v instanceof Uint8Array) {
    const text = Buffer.from(v).toString('utf8');
    return Buffer.from(text, 'utf8').equals(Buffer.from(v)) ? text : { b64: Buffer.from(v).toString('base64') };
  }
  return null;
}

function datatypeOf(name: string, v: AnyVector): V2Datatype {
  const d = v2DatatypeOf(v.type);
  if (!d) throw new CodecError(name, 'has no V2 datatype');
  return d;
}

/** JSON with objects one key a line and lists of plain values on one line (readable diffs). */
function pretty(v: unknown, indent: string): string {
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.every((x) => x === null || typeof x !== 'object' || (isRecord(x) && 'b64' in x))) return `[${v.map((x) => JSON.stringify(x)).join(', ')}]`;
    return `[\n${v.map((x) => inner + pretty(x, inner)).join(',\n')}\n${indent}]`;
  }
  if (isRecord(v)) {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${pretty(x, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
