/**
 * Sample requests of a model folder (samples/*.json): `{"inputs": {...}, "expected": {...}}`, each a map
 * from a manifest input/output name to a column (DataFrame models: a list of values, one per row) or a
 * tensor (tensor models: nested lists whose nesting is the shape). The format is documented in README.md
 * beside this file. Pure functions over data: no VS Code, no file system.
 */
import type { Field, Manifest } from '../model/manifest';

export interface Sample {
  readonly description?: string;
  readonly inputs: Readonly<Record<string, readonly unknown[]>>;
  readonly expected?: Readonly<Record<string, readonly unknown[]>>;
}

/** Reads a sample file's text; throws an Error saying what is wrong with its shape. */
export function parseSample(text: string): Sample {
  const value: unknown = JSON.parse(text);
  if (!isRecord(value)) throw new Error('a sample must be a JSON object with "inputs" (and usually "expected")');
  const inputs = value['inputs'];
  const expected = value['expected'];
  const description = value['description'];
  if (!isRecord(inputs) || !Object.values(inputs).every(Array.isArray)) {
    throw new Error('"inputs" must map each input name to a list (a column, or a tensor as nested lists)');
  }
  if (expected !== undefined && (!isRecord(expected) || !Object.values(expected).every(Array.isArray))) {
    throw new Error('"expected" must map each output name to a list (a column, or a tensor as nested lists)');
  }
  if (description !== undefined && typeof description !== 'string') throw new Error('"description" must be a string');
  return {
    ...(description !== undefined ? { description } : {}),
    inputs: inputs as Record<string, unknown[]>,
    ...(expected !== undefined ? { expected: expected as Record<string, unknown[]> } : {}),
  };
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

function flatten(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]).flatMap(flatten) : [value];
}

function fitsDatatype(value: unknown, datatype: Field['datatype']): boolean {
  switch (datatype) {
    case 'BYTES':
      return typeof value === 'string';
    case 'BOOL':
      return typeof value === 'boolean';
    case 'FP16': case 'FP32': case 'FP64':
      return typeof value === 'number';
    default:
      return typeof value === 'number' && Number.isInteger(value);
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
    if (items.every((v) => typeof v !== 'object' || v === null)) return `[${items.map((v) => JSON.stringify(v)).join(', ')}]`;
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

export interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}

/** The tolerance of float comparisons with a sample's `expected` (README.md). */
export const SAMPLE_TOLERANCE: Tolerance = { rtol: 1e-5, atol: 1e-6 };

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

function sameValue(want: unknown, got: unknown, t: Tolerance): boolean {
  if (typeof want === 'number' && typeof got === 'number') {
    if (Number.isNaN(want)) return Number.isNaN(got);
    return Math.abs(got - want) <= t.atol + t.rtol * Math.abs(want);
  }
  if (typeof want === 'number' && typeof got === 'bigint') return BigInt(want) === got;
  return want === got;
}
