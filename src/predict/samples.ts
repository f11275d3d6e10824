/**
 * Samples between files and Arrow: the panel's "Save as sample" writes a request and the answer it
 * got as `samples/<name>.json` next to the model; "Load file…" and the Test Explorer (src/testing)
 * read them back into a request ready to send. The format itself (one for New Model, the panel, the
 * Test Explorer) is src/scaffold/sample.ts: inputs and expected outputs by name, columns as lists,
 * tensors as nested lists, the datatypes taken from the model's schema.
 */
import * as arrow from 'apache-arrow';
import { promises as fs } from 'fs';
import * as path from 'path';
import type { V2Datatype } from '../model/dtypes';
import { v2DatatypeOf, type AnyVector, type DecodedTensor, type TensorInput } from '../protocol/arrowCodec';
import { formatSampleJson, nest, sampleFromJson, shapeOf, flatten, type Sample } from '../scaffold/sample';
import type { ModelSchema, SchemaField } from '../shared/panelMessages';
import { formatFloat } from '../shared/panelValues';
import { ColumnBuilder } from '../tables/columnBuilder';
import type { PreparedInput } from './inputs';

export const SAMPLES_DIR = 'samples';
/** The sample New Model writes, which the panel loads when it connects to that model. */
export const EXAMPLE_SAMPLE = 'example.json';

type JsonValue = null | boolean | number | string | { b64: string };

export class SampleError extends Error {
  override readonly name = 'SampleError';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${path.basename(file)}: ${message}`);
  }
}

/** The JSON of a sample made from a request and the outputs it got. */
export function sampleJson(model: string, input: PreparedInput, outputs: readonly DecodedTensor[], now = new Date()): string {
  const inputs: Record<string, unknown[]> = {};
  if (input.kind === 'table') {
    for (const f of input.table.schema.fields) {
      const column = input.table.getChild(f.name);
      if (column) inputs[f.name] = jsonValues(column);
    }
  } else {
    for (const t of input.tensors) inputs[t.name] = nest(jsonValues(t.values), t.shape);
  }
  const sample: Sample = {
    description: `Saved from the test prediction panel on ${now.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    model,
    inputs,
    expected: outputsJson(outputs),
  };
  return formatSampleJson(sample);
}

/** Outputs by name as the sample format writes them: nested lists by shape (a flat list for 1-D). */
export function outputsJson(outputs: readonly DecodedTensor[]): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const o of outputs) out[o.name] = nest(jsonValues(o.values), o.shape);
  return out;
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

/** Reads a sample file (this format or the older one); a SampleError names the file and what is wrong. */
export async function readSample(file: string): Promise<Sample> {
  let value: unknown;
  try {
    value = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (err) {
    throw new SampleError(file, `cannot be read as JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  try {
    return sampleFromJson(value);
  } catch (err) {
    throw new SampleError(file, err instanceof Error ? err.message : String(err));
  }
}

/**
 * A sample's inputs as a request: each input typed by the schema's field of that name (names the
 * schema does not know are typed by their values, for the schema check to name). Without a schema,
 * nested lists make tensors and flat lists a table.
 */
export function sampleInput(sample: Sample, schema?: ModelSchema): PreparedInput {
  const entries = Object.entries(sample.inputs);
  const tensors = schema ? schema.kind === 'tensor' : entries.some(([, v]) => (shapeOf(v)?.length ?? 1) > 1);
  const fields = new Map((schema?.inputs ?? []).map((f) => [f.name, f]));
  if (!tensors) {
    const columns: Record<string, AnyVector> = {};
    for (const [name, values] of entries) {
      const shape = shapeOf(values);
      if (!shape || shape.length !== 1) throw new Error(`input '${name}' must be a flat list (one value per row) for a DataFrame model`);
      columns[name] = jsonColumn(name, values, fields.get(name));
    }
    const lengths = new Set(Object.values(columns).map((c) => c.length));
    if (lengths.size > 1) throw new Error(`the input columns have different lengths (${[...lengths].join(', ')})`);
    return { kind: 'table', table: new arrow.Table<Record<string, arrow.DataType>>(columns) };
  }
  return {
    kind: 'tensors',
    tensors: entries.map(([name, value]): TensorInput => {
      const shape = shapeOf(value);
      if (!shape) throw new Error(`input '${name}' is ragged: nested lists of different lengths`);
      const values = jsonColumn(name, flatten(value), fields.get(name));
      const datatype = v2DatatypeOf(values.type);
      return { name, shape, values, ...(datatype ? { datatype } : {}) };
    }),
  };
}

/** JSON values as a column of the field's datatype, or of the narrowest that holds them. */
function jsonColumn(name: string, values: readonly unknown[], field: SchemaField | undefined): AnyVector {
  const datatype = field?.datatype ?? inferDatatype(values);
  const builder = ColumnBuilder.of(name, datatype, values.length);
  values.forEach((v, i) => {
    const problem = appendJson(builder, v);
    if (problem) throw new Error(`input '${name}', value ${i + 1}: ${problem}`);
  });
  return builder.finish();
}

function inferDatatype(values: readonly unknown[]): V2Datatype {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (present.length === 0) return 'FP64';
  if (present.every((v) => typeof v === 'number' && Number.isSafeInteger(v))) return 'INT64';
  if (present.every((v) => typeof v === 'number' || v === 'NaN' || v === 'Infinity' || v === '-Infinity')) return 'FP64';
  if (present.every((v) => typeof v === 'boolean')) return 'BOOL';
  return 'BYTES';
}

function appendJson(builder: ColumnBuilder, v: unknown): string | undefined {
  if (v === null || v === undefined) {
    builder.appendValue(null);
    return undefined;
  }
  if (isRecord(v) && typeof v['b64'] === 'string') {
    builder.appendValue(Buffer.from(v['b64'], 'base64'));
    return undefined;
  }
  if (typeof v === 'number' || typeof v === 'boolean') return builder.appendCell(String(v));
  if (typeof v === 'string') return builder.appendCell(v === 'Infinity' ? 'inf' : v === '-Infinity' ? '-inf' : v);
  return `${JSON.stringify(v).slice(0, 40)} is not a value (a number, string, true/false or null)`;
}

function jsonValues(values: AnyVector): JsonValue[] {
  const data: JsonValue[] = new Array<JsonValue>(values.length);
  // float32 values are written as the shortest decimal that reads back to them (0.1, not 0.10000000149011612).
  const single = arrow.DataType.isFloat(values.type) && values.type.precision !== arrow.Precision.DOUBLE;
  for (let i = 0; i < values.length; i++) {
    const v = values.isValid(i) ? (values.get(i) as unknown) : null;
    data[i] = single && typeof v === 'number' && Number.isFinite(v) ? Number(formatFloat(v, 32)) : jsonValue(v);
  }
  return data;
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

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
