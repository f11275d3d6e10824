/**
 * The one sample format of PyML (samples/*.json): written by New Model and by the panel's "Save as
 * sample", read by the panel's "Load file…", the Test Explorer and the templates' tests.
 *
 *   {"description": "...", "model": "churn",
 *    "inputs":   {"tenure": [3, null], "plan": ["basic", "premium"]},
 *    "expected": {"p": [0.25, "NaN"]},
 *    "tolerance": {"rtol": 1e-5, "atol": 1e-6}}
 *
 * `inputs` (and the optional `expected`) map a manifest input (output) name to a column (DataFrame
 * models: a flat list, one value per row) or a tensor (tensor models: nested lists whose nesting is
 * the shape). The datatypes come from the model (pyml.yaml or the server's metadata), not from the
 * file. JSON lacks a few values: null is a missing value (DataFrame columns), floats NaN, Infinity,
 * -Infinity are those strings, 64-bit integers beyond 2^53 are decimal strings, bytes that are not
 * UTF-8 are {"b64": "..."}. The format is documented in README.md beside this file and its JSON
 * Schema is schemas/sample.schema.json.
 *
 * Older files are read too: the panel's first format (`"pyml_sample": 1` with a V2 `request` and
 * `response`) is turned into this one. Pure functions over data: no VS Code, no file system.
 */
import type { Field, Manifest } from '../model/manifest';

export interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}

export interface Sample {
  readonly description?: string;
  /** The model the sample was saved from (optional: the folder's pyml.yaml names it anyway). */
  readonly model?: string;
  readonly inputs: Readonly<Record<string, readonly unknown[]>>;
  readonly expected?: Readonly<Record<string, readonly unknown[]>>;
  /** How closely floats must match `expected` (default SAMPLE_TOLERANCE). */
  readonly tolerance?: Tolerance;
}

/** The tolerance of float comparisons with a sample's `expected` (README.md). */
export const SAMPLE_TOLERANCE: Tolerance = { rtol: 1e-5, atol: 1e-6 };

/** The version marker of the panel's first format, still read. */
const LEGACY_MARKER = 'pyml_sample';

/** Reads a sample file's text; throws an Error saying what is wrong with its shape. */
export function parseSample(text: string): Sample {
  return sampleFromJson(JSON.parse(text) as unknown);
}

/** Whether parsed JSON looks like a sample (this format or the older one), so file readers can tell it from other JSON. */
export function isSampleJson(value: unknown): boolean {
  return isRecord(value) && (isRecord(value['inputs']) || value[LEGACY_MARKER] !== undefined);
}

/** A sample from parsed JSON (this format, or the older `"pyml_sample": 1` one); throws saying what is wrong. */
export function sampleFromJson(value: unknown): Sample {
  if (!isRecord(value)) throw new Error('a sample must be a JSON object with "inputs" (and usually "expected")');
  if (value[LEGACY_MARKER] !== undefined) return fromLegacy(value);
  const inputs = value['inputs'];
  const expected = value['expected'];
  const description = value['description'];
  const model = value['model'];
  if (!isRecord(inputs) || !Object.values(inputs).every(Array.isArray)) {
    throw new Error('"inputs" must map each input name to a list (a column, or a tensor as nested lists)');
  }
  if (expected !== undefined && (!isRecord(expected) || !Object.values(expected).every(Array.isArray))) {
    throw new Error('"expected" must map each output name to a list (a column, or a tensor as nested lists)');
  }
  if (description !== undefined && typeof description !== 'string') throw new Error('"description" must be a string');
  if (model !== undefined && typeof model !== 'string') throw new Error('"model" must be a string (the model name)');
  const tolerance = toleranceOf(value['tolerance']);
  return {
    ...(description !== undefined ? { description } : {}),
    ...(model !== undefined ? { model } : {}),
    inputs: inputs as Record<string, unknown[]>,
    ...(expected !== undefined ? { expected: expected as Record<string, unknown[]> } : {}),
    ...(tolerance ? { tolerance } : {}),
  };
}

function toleranceOf(value: unknown): Tolerance | undefined {
  if (value === undefined) return undefined;
  const ok = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;
  if (!isRecord(value) || (value['rtol'] !== undefined && !ok(value['rtol'])) || (value['atol'] !== undefined && !ok(value['atol']))) {
    throw new Error('"tolerance" must be {"rtol": number, "atol": number} (numbers >= 0)');
  }
  return { rtol: ok(value['rtol']) ? value['rtol'] : SAMPLE_TOLERANCE.rtol, atol: ok(value['atol']) ? value['atol'] : SAMPLE_TOLERANCE.atol };
}

/** The panel's first format: {"pyml_sample": 1, model, kind, request: {inputs: [V2 tensors]}, response: {outputs: [...]}}. */
function fromLegacy(value: Record<string, unknown>): Sample {
  if (value[LEGACY_MARKER] !== 1) throw new Error(`"${LEGACY_MARKER}": ${JSON.stringify(value[LEGACY_MARKER])} is not a sample version this extension reads (1, or the current format without "${LEGACY_MARKER}")`);
  const request = value['request'];
  if (!isRecord(request)) throw new Error('has no "request" (a "pyml_sample": 1 file holds a V2 request and response)');
  const inputs = legacyTensors(request['inputs'], 'request.inputs');
  const response = value['response'];
  const expected = isRecord(response) ? legacyTensors(response['outputs'], 'response.outputs') : undefined;
  const tolerance = toleranceOf(value['tolerance']);
  return {
    ...(typeof value['model'] === 'string' ? { model: value['model'] } : {}),
    inputs,
    ...(expected ? { expected } : {}),
    ...(tolerance ? { tolerance } : {}),
  };
}

function legacyTensors(value: unknown, where: string): Record<string, unknown[]> {
  if (!Array.isArray(value)) throw new Error(`"${where}" is not a list`);
  const out: Record<string, unknown[]> = {};
  value.forEach((t: unknown, i) => {
    if (!isRecord(t) || typeof t['name'] !== 'string' || !t['name']) throw new Error(`${where}[${i}] has no name`);
    const data = Array.isArray(t['data']) ? (t['data'] as unknown[]).flat(Infinity) : undefined;
    if (!data) throw new Error(`${where}[${i}] ('${t['name']}') has no data list`);
    const shape = Array.isArray(t['shape']) && t['shape'].every((d) => Number.isSafeInteger(d) && (d as number) >= 0) ? (t['shape'] as number[]) : [data.length];
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== data.length) throw new Error(`${where}[${i}] ('${t['name']}') has ${data.length} values; shape [${shape.join(', ')}] needs ${count}`);
    out[t['name']] = nest(data, shape);
  });
  return out;
}

/** Flat row-major values as nested lists of `shape` (a 1-D shape gives the flat list). */
export function nest(flat: readonly unknown[], shape: readonly number[]): unknown[] {
  if (shape.length <= 1) return [...flat];
  const [first = 0, ...rest] = shape;
  const size = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: first }, (_, i) => nest(flat.slice(i * size, (i + 1) * size), rest));
}

/** Every way the sample does not fit the manifest's schema (empty when it fits). */
export function checkSample(manifest: Manifest, sample: Sample): string[] {
  const problems = checkSide(manifest, 'inputs', manifest.inputs, sample.inputs);
  if (sample.expected) problems.push(...checkSide(manifest, 'expected', manifest.outputs, sample.expected));
  return problems;
}

function checkSide(
  manifest: Manifest,
  side: 'inputs' | 'expected',
  fields: readonly Field[],
  values: Readonly<Record<string, readonly unknown[]>>,
): string[] {
  const problems: string[] = [];
  const declared = new Set(fields.map((f) => f.name));
  for (const name of Object.keys(values)) {
    if (!declared.has(name)) problems.push(`${side}.${name} is not declared in pyml.yaml (${side === 'inputs' ? 'inputs' : 'outputs'})`);
  }
  let rows: number | undefined;
  for (const field of fields) {
    const value = values[field.name];
    if (value === undefined) {
      problems.push(`${side} has no '${field.name}'`);
      continue;
    }
    const shape = shapeOf(value);
    if (!shape) {
      problems.push(`${side}.${field.name} is ragged: nested lists of different lengths`);
      continue;
    }
    const want = manifest.kind === 'dataframe' ? [-1] : field.shape;
    if (want && !shapeFits(shape, want)) {
      problems.push(`${side}.${field.name} has shape [${shape.join(', ')}], pyml.yaml declares [${want.join(', ')}]`);
    }
    if (manifest.kind === 'dataframe') {
      if (rows !== undefined && shape[0] !== rows) problems.push(`${side}.${field.name} has ${shape[0] ?? 0} rows, other columns ${rows}`);
      rows ??= shape[0];
    }
    const bad = flatten(value).find((v) => !fitsDatatype(v, field.datatype));
    if (bad !== undefined) problems.push(`${side}.${field.name} holds ${JSON.stringify(bad)}, not a ${field.dtype}`);
  }
  return problems;
}

/** The shape of nested lists, or undefined when they are ragged. */
export function shapeOf(value: unknown): number[] | undefined {
  if (!Array.isArray(value)) return [];
  const items = value as unknown[];
  if (items.length === 0) return [0];
  const inner = items.map(shapeOf);
  const first = inner[0];
  if (!first || inner.some((s) => !s || s.join(',') !== first.join(','))) return undefined;
  return [items.length, ...first];
}

function shapeFits(shape: readonly number[], want: readonly number[]): boolean {
  return shape.length === want.length && want.every((n, i) => n === -1 || n === shape[i]);
}

export function flatten(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]).flatMap(flatten) : [value];
}

function fitsDatatype(value: unknown, datatype: Field['datatype']): boolean {
  if (value === null) return true; // a missing value (DataFrame columns; the runtime refuses it in a tensor)
  switch (datatype) {
    case 'BYTES':
      return typeof value === 'string' || (isRecord(value) && typeof value['b64'] === 'string');
    case 'BOOL':
      return typeof value === 'boolean';
    case 'FP16': case 'FP32': case 'FP64':
      return typeof value === 'number' || value === 'NaN' || value === 'Infinity' || value === '-Infinity';
    default:
      return (typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && /^-?\d+$/.test(value));
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * JSON with two-space indentation where innermost lists (rows of numbers, columns) stay on one line,
 * so an 8 x 8 image reads as eight lines.
 */
export function formatSampleJson(value: unknown): string {
  return `${format(value, '')}\n`;
}

function format(value: unknown, indent: string): string {
  if (Array.isArray(value)) {
    const items = value as unknown[];
    if (items.every((v) => typeof v !== 'object' || v === null || (isRecord(v) && 'b64' in v))) return `[${items.map((v) => JSON.stringify(v)).join(', ')}]`;
    const inner = `${indent}  `;
    return `[\n${items.map((v) => inner + format(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const inner = `${indent}  `;
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${format(v, inner)}`);
    return entries.length === 0 ? '{}' : `{\n${entries.join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

/**
 * Where `actual` differs from `expected`, output by output (empty when it matches): strings, integers
 * and booleans exactly, floats within the tolerance, shapes exactly.
 */
export function compareOutputs(
  expected: Readonly<Record<string, readonly unknown[]>>,
  actual: Readonly<Record<string, readonly unknown[]>>,
  tolerance: Tolerance = SAMPLE_TOLERANCE,
): string[] {
  const problems: string[] = [];
  for (const [name, want] of Object.entries(expected)) {
    const got = actual[name];
    if (got === undefined) {
      problems.push(`no output '${name}' in the answer (it has: ${Object.keys(actual).join(', ') || 'none'})`);
      continue;
    }
    const wantShape = shapeOf(want);
    const gotShape = shapeOf(got);
    if (wantShape?.join(',') !== gotShape?.join(',')) {
      problems.push(`${name}: shape [${gotShape?.join(', ') ?? 'ragged'}], expected [${wantShape?.join(', ') ?? 'ragged'}]`);
      continue;
    }
    const w = flatten(want);
    const g = flatten(got);
    const at = w.findIndex((v, i) => !sameValue(v, g[i], tolerance));
    if (at >= 0) problems.push(`${name}[${at}] (flat, row-major) is ${JSON.stringify(g[at])}, expected ${JSON.stringify(w[at])}`);
  }
  return problems;
}

function sameValue(wanted: unknown, gotten: unknown, t: Tolerance): boolean {
  const want = special(wanted);
  const got = special(gotten);
  if (typeof want === 'number' && typeof got === 'number') {
    if (Number.isNaN(want)) return Number.isNaN(got);
    if (want === got) return true; // also equal infinities
    return Math.abs(got - want) <= t.atol + t.rtol * Math.abs(want);
  }
  if (typeof want === 'number' && typeof got === 'bigint') return BigInt(want) === got;
  if (isRecord(want) || isRecord(got)) return JSON.stringify(want) === JSON.stringify(got);
  return want === got;
}

/** "NaN", "Infinity" and "-Infinity" (JSON's spelling of those floats) as numbers. */
function special(v: unknown): unknown {
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return v;
}
