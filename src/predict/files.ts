/**
 * Input files for the panel, read into Arrow. Tables (CSV/TSV, JSON lines, Arrow IPC / Feather,
 * Parquet) come through the readers of src/tables, the same as batch runs; what is the panel's own
 * is read here: JSON (PyML samples, records, columns, pandas "split", V2 request JSON), NumPy .npy
 * and .npz. Tables keep the file's column types (with the model's declared types as hints for CSV);
 * numbers go straight into typed arrays.
 */
import * as arrow from 'apache-arrow';
import { unzipSync } from 'fflate';
import { promises as fs } from 'fs';
import * as path from 'path';
import type { V2Datatype } from '../model/dtypes';
import { arrowTypeOf, v2DatatypeOf, type AnyTable, type AnyVector, type TensorInput } from '../protocol/arrowCodec';
import { CONTENT_TYPE, CONTENT_TYPE_DATAFRAME } from '../protocol/wire';
import type { ModelSchema } from '../shared/panelMessages';
import { openFile, type InputFormat } from '../tables';
import { ColumnBuilder } from '../tables/columnBuilder';
import { InputError, messageOf } from '../tables/errors';
import { jsonObjects } from '../tables/jsonl';
import { readAll, readTable, type TableSource } from '../tables/source';
import { parseText } from '../tables/values';
import { outputsTable } from './infer';
import { isSampleJson, sampleFromJson } from '../scaffold/sample';
import { sampleInput } from './samples';
import { isV2Datatype } from './panelSchema';

export type LoadedFile =
  | { readonly kind: 'table'; readonly table: AnyTable; readonly preview: AnyTable; readonly warnings: string[] }
  | { readonly kind: 'tensors'; readonly tensors: TensorInput[]; readonly preview: AnyTable; readonly warnings: string[] };

export const INPUT_FILE_EXTENSIONS = ['csv', 'tsv', 'txt', 'json', 'jsonl', 'ndjson', 'arrow', 'feather', 'ipc', 'arrows', 'parquet', 'pq', 'npy', 'npz'];

/**
 * Reads an input file by its extension. `schema` gives CSV columns their declared types. Throws an
 * InputError that names the file.
 */
export async function loadInputFile(file: string, schema?: ModelSchema): Promise<LoadedFile> {
  const ext = path.extname(file).slice(1).toLowerCase();
  try {
    switch (ext) {
      case 'csv': case 'tsv': case 'txt':
        return tableResult(await withSource(file, 'csv', (source) => readCsv(source, hints(schema))));
      case 'jsonl': case 'ndjson': {
        const records: Record<string, unknown>[] = [];
        for await (const r of jsonObjects(file)) records.push(r);
        return tableResult(recordsToTable(records));
      }
      case 'arrow': case 'feather': case 'ipc': case 'arrows':
        return tableResult(await withSource(file, 'arrow', readAll));
      case 'parquet': case 'pq':
        return tableResult(await withSource(file, 'parquet', readAll));
      case 'json':
        return readJson(JSON.parse(await readText(file)) as unknown, schema);
      case 'npy':
        return tensorResult([readNpy(path.basename(file, '.npy'), await readBytes(file))]);
      case 'npz':
        return tensorResult(readNpz(await readBytes(file)));
      default:
        throw new Error(`unknown file type '.${ext}'; the panel reads ${INPUT_FILE_EXTENSIONS.map((e) => `.${e}`).join(', ')}`);
    }
  } catch (err) {
    if (err instanceof InputError && err.message.includes(file)) throw err;
    throw new InputError(`${path.basename(file)}: ${messageOf(err)}`);
  }
}

async function withSource(file: string, format: InputFormat, read: (source: TableSource) => Promise<arrow.Table>): Promise<AnyTable> {
  const source = await openFile(file, format);
  try {
    return (await read(source)) as AnyTable;
  } finally {
    await source.close();
  }
}

async function readBytes(file: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    throw new Error(`cannot be read (${messageOf(err)})`);
  }
}

async function readText(file: string): Promise<string> {
  return (await readBytes(file)).toString('utf8');
}

function hints(schema: ModelSchema | undefined): ReadonlyMap<string, V2Datatype> {
  return new Map(schema?.kind === 'dataframe' ? schema.inputs.map((f) => [f.name, f.datatype]) : []);
}

function tableResult(table: AnyTable, warnings: string[] = []): LoadedFile {
  return { kind: 'table', table, preview: table, warnings };
}

function tensorResult(tensors: TensorInput[], warnings: string[] = []): LoadedFile {
  return { kind: 'tensors', tensors, preview: tensorPreview(tensors), warnings };
}

/** Tensors as the panel previews them (side by side, or one per row). */
export function tensorPreview(tensors: readonly TensorInput[]): AnyTable {
  return outputsTable(tensors.map((t) => ({ name: t.name, datatype: t.datatype ?? v2DatatypeOf(t.values.type) ?? 'BYTES', shape: t.shape, values: t.values })));
}

// ---------------------------------------------------------------------------------------------
// CSV

/**
 * CSV/TSV with a header row (src/tables/csv.ts). A column's type is the model's declared one when
 * the header names an input; otherwise the narrowest that holds every value: INT64, then FP64, then
 * BOOL (true/false), else text. Two passes over the file (infer, then read) keep memory to the
 * columns themselves.
 */
async function readCsv(source: TableSource, declared: ReadonlyMap<string, V2Datatype>): Promise<arrow.Table> {
  const inferred = new Map(source.fields.filter((f) => !declared.has(f.name)).map((f) => [f.name, new Inference()]));
  if (inferred.size > 0) {
    const texts = [...inferred.keys()].map((name) => ({ name, type: new arrow.Utf8() }));
    for await (const chunk of source.chunks(texts)) {
      chunk.columns.forEach((column, c) => {
        const inference = inferred.get(texts[c]?.name ?? '');
        for (let i = 0; i < column.length; i++) inference?.see(column.get(i) as string);
      });
    }
  }
  return readTable(source, source.fields.map((f) => ({ name: f.name, type: arrowTypeOf(declared.get(f.name) ?? inferred.get(f.name)?.datatype() ?? 'BYTES') })));
}

/** The narrowest datatype that holds every value seen (values.ts grammar); FP64 when all are missing. */
class Inference {
  private int = true;
  private float = true;
  private bool = true;
  private seen = false;

  see(text: string): void {
    const t = text.trim();
    if (t === '') return;
    this.seen = true;
    if (this.int && !/^[+-]?\d+$/.test(t)) this.int = false;
    if (this.float && !parseText('FP64', t).ok) this.float = false;
    if (this.bool && !/^(true|false)$/i.test(t)) this.bool = false;
  }

  datatype(): V2Datatype {
    if (!this.seen) return 'FP64';
    if (this.int) return 'INT64';
    if (this.float) return 'FP64';
    if (this.bool) return 'BOOL';
    return 'BYTES';
  }
}

// ---------------------------------------------------------------------------------------------
// JSON

function readJson(value: unknown, schema: ModelSchema | undefined): LoadedFile {
  if (Array.isArray(value)) return tableResult(recordsToTable(value));
  if (!isRecord(value)) throw new Error('holds neither records (a list of objects) nor columns (an object of lists)');
  if (isSampleJson(value)) {
    // A PyML sample (samples/*.json): its inputs, typed by the model's schema when connected.
    const input = sampleInput(sampleFromJson(value), schema);
    return input.kind === 'table' ? tableResult(input.table) : tensorResult([...input.tensors]);
  }
  if (Array.isArray(value['inputs'])) return readV2Json(value);
  if (Array.isArray(value['columns']) && Array.isArray(value['data'])) {
    const columns = value['columns'].map(String);
    const records = (value['data'] as unknown[]).map((row) => {
      const r: Record<string, unknown> = {};
      if (Array.isArray(row)) columns.forEach((c, i) => (r[c] = (row as unknown[])[i]));
      return r;
    });
    return tableResult(recordsToTable(records, columns));
  }
  const entries = Object.entries(value);
  if (entries.length > 0 && entries.every(([, v]) => Array.isArray(v) && v.some((x) => Array.isArray(x)))) {
    return tensorResult(entries.map(([name, v]) => nestedTensor(name, v as unknown[])));
  }
  if (entries.every(([, v]) => Array.isArray(v))) {
    const lengths = new Set(entries.map(([, v]) => (v as unknown[]).length));
    if (lengths.size > 1) throw new Error(`its columns have different lengths (${[...lengths].join(', ')})`);
    const columns: Record<string, AnyVector> = {};
    for (const [name, v] of entries) columns[name] = valuesColumn(name, v as unknown[]);
    return tableResult(new arrow.Table<Record<string, arrow.DataType>>(columns));
  }
  throw new Error('is not a PyML sample ({"inputs": {...}}), records, columns, pandas "split", a V2 request ({"inputs": [...]}) or named tensors');
}

/** V2 request JSON: {"parameters": {"content_type": "pd"}?, "inputs": [{name, datatype, shape, data}]}. */
function readV2Json(value: Record<string, unknown>): LoadedFile {
  const params = isRecord(value['parameters']) ? value['parameters'] : {};
  const inputs = value['inputs'] as unknown[];
  const tensors = inputs.map((t, i): TensorInput => {
    if (!isRecord(t) || typeof t['name'] !== 'string') throw new Error(`inputs[${i}] has no name`);
    const datatype = typeof t['datatype'] === 'string' ? t['datatype'].toUpperCase() : '';
    if (!isV2Datatype(datatype)) throw new Error(`inputs[${i}] ('${t['name']}') has datatype '${String(t['datatype'])}'`);
    const data = Array.isArray(t['data']) ? (t['data'] as unknown[]).flat(Infinity) : [];
    const shape = Array.isArray(t['shape']) ? t['shape'].map(Number) : [data.length];
    const builder = ColumnBuilder.of(t['name'], datatype, data.length);
    for (const x of data) {
      const problem = builder.appendCell(x === null ? null : typeof x === 'string' ? x : JSON.stringify(x));
      if (problem) throw new Error(`inputs[${i}] ('${t['name']}'): ${problem}`);
    }
    return { name: t['name'], datatype, shape, values: builder.finish() };
  });
  const contentType = params[CONTENT_TYPE];
  if (contentType === CONTENT_TYPE_DATAFRAME || (isRecord(contentType) && contentType['string_param'] === CONTENT_TYPE_DATAFRAME)) {
    const columns: Record<string, AnyVector> = {};
    for (const t of tensors) columns[t.name] = t.values;
    return tableResult(new arrow.Table<Record<string, arrow.DataType>>(columns));
  }
  return tensorResult(tensors);
}

/** A list of objects as a table: the union of their keys, each column typed by its values. */
export function recordsToTable(records: readonly unknown[], order?: readonly string[]): AnyTable {
  const names: string[] = order ? [...order] : [];
  const seen = new Set(names);
  for (const r of records) {
    if (!isRecord(r)) throw new Error('a record is not an object');
    if (order) continue;
    for (const k of Object.keys(r)) {
      if (seen.has(k)) continue;
      seen.add(k);
      names.push(k);
    }
  }
  const columns: Record<string, AnyVector> = {};
  for (const name of names) columns[name] = valuesColumn(name, records.map((r) => (r as Record<string, unknown>)[name] ?? null));
  return new arrow.Table<Record<string, arrow.DataType>>(columns);
}

/** JSON values as a column: INT64 if all integers, FP64 if all numbers, BOOL if all booleans, else text. */
function valuesColumn(name: string, values: readonly unknown[]): AnyVector {
  const present = values.filter((v) => v !== null && v !== undefined);
  let datatype: V2Datatype = 'BYTES';
  if (present.every((v) => typeof v === 'number' && Number.isSafeInteger(v))) datatype = 'INT64';
  else if (present.every((v) => typeof v === 'number' || v === 'NaN' || v === 'Infinity' || v === '-Infinity')) datatype = 'FP64';
  else if (present.every((v) => typeof v === 'boolean')) datatype = 'BOOL';
  if (present.length === 0) datatype = 'FP64';
  const builder = ColumnBuilder.of(name, datatype, values.length);
  for (const v of values) {
    if (v === null || v === undefined) builder.appendValue(null);
    else if (datatype === 'INT64') builder.appendValue(BigInt(v as number));
    else if (datatype === 'FP64') builder.appendCell(jsonText(v));
    else if (datatype === 'BOOL') builder.appendValue(v as boolean);
    else builder.appendValue(typeof v === 'string' ? v : JSON.stringify(v));
  }
  return builder.finish();
}

function nestedTensor(name: string, value: unknown[]): TensorInput {
  const shape: number[] = [];
  let level: unknown = value;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  const flat = value.flat(Infinity);
  const count = shape.reduce((a, b) => a * b, 1);
  if (flat.length !== count) throw new Error(`tensor '${name}' is not rectangular`);
  const datatype: V2Datatype = flat.every((v) => typeof v === 'number' && Number.isSafeInteger(v)) ? 'INT64' : flat.every((v) => typeof v === 'boolean') ? 'BOOL' : flat.every((v) => typeof v === 'number') ? 'FP64' : 'BYTES';
  const builder = ColumnBuilder.of(name, datatype, flat.length);
  for (const v of flat) builder.appendValue(datatype === 'INT64' ? BigInt(v as number) : datatype === 'BYTES' ? jsonText(v) : (v as number | boolean));
  return { name, datatype, shape, values: builder.finish() };
}

// ---------------------------------------------------------------------------------------------
// NumPy

const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

/** A .npy array as a flat, row-major tensor (Fortran order is transposed; big-endian is swapped). */
export function readNpy(name: string, bytes: Uint8Array): TensorInput {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(NPY_MAGIC)) throw new Error(`'${name}' is not a .npy file`);
  const major = buf[6] ?? 1;
  const headerLength = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = buf.subarray(headerStart, headerStart + headerLength).toString(major >= 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*True/.test(header);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw new Error(`'${name}': cannot read the .npy header`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const data = buf.subarray(headerStart + headerLength);
  const order = descr[0];
  const code = descr.slice(1);
  const kind = code[0];
  const size = Number(code.slice(1));
  if (kind === 'O') throw new Error(`'${name}' holds Python objects (dtype=object), which cannot be read safely; save it with a string or numeric dtype`);
  let values: AnyVector;
  let datatype: V2Datatype;
  if (kind === 'U' || kind === 'S') {
    datatype = 'BYTES';
    const width = kind === 'U' ? size * 4 : size;
    if (data.length < count * width) throw new Error(`'${name}' is shorter than its shape says`);
    const builder = ColumnBuilder.of(name, 'BYTES', count);
    for (let i = 0; i < count; i++) {
      const item = data.subarray(i * width, (i + 1) * width);
      if (kind === 'U') {
        let s = '';
        for (let j = 0; j < size; j++) {
          const cp = order === '>' ? item.readUInt32BE(j * 4) : item.readUInt32LE(j * 4);
          if (cp === 0) break;
          s += String.fromCodePoint(cp);
        }
        builder.appendValue(s);
      } else {
        const end = item.indexOf(0);
        builder.appendValue(new Uint8Array(end === -1 ? item : item.subarray(0, end)));
      }
    }
    values = builder.finish();
  } else {
    const dt = NPY_TYPES[`${kind ?? ''}${size}`];
    if (!dt) throw new Error(`'${name}' has dtype '${descr}', which has no V2 datatype`);
    datatype = dt;
    const bytesNeeded = count * size;
    if (data.length < bytesNeeded) throw new Error(`'${name}' is shorter than its shape says (${data.length} bytes, ${bytesNeeded} needed)`);
    let raw = new Uint8Array(data.buffer, data.byteOffset, bytesNeeded);
    if (order === '>' && size > 1) raw = swapBytes(raw, size);
    if (raw.byteOffset % size !== 0) raw = raw.slice();
    values = npyVector(datatype, raw, count);
  }
  if (fortran && shape.length > 1) values = transpose(name, datatype, values, shape);
  return { name, datatype, shape, values };
}

const NPY_TYPES: Readonly<Record<string, V2Datatype>> = {
  b1: 'BOOL', i1: 'INT8', i2: 'INT16', i4: 'INT32', i8: 'INT64', u1: 'UINT8', u2: 'UINT16', u4: 'UINT32', u8: 'UINT64', f2: 'FP16', f4: 'FP32', f8: 'FP64',
};

function npyVector(datatype: V2Datatype, raw: Uint8Array, count: number): AnyVector {
  const { buffer, byteOffset } = raw;
  switch (datatype) {
    case 'BOOL': {
      const b = ColumnBuilder.of('', 'BOOL', count);
      for (let i = 0; i < count; i++) b.appendValue(raw[i] !== 0);
      return b.finish();
    }
    case 'INT8': return arrow.makeVector(new Int8Array(buffer, byteOffset, count));
    case 'INT16': return arrow.makeVector(new Int16Array(buffer, byteOffset, count));
    case 'INT32': return arrow.makeVector(new Int32Array(buffer, byteOffset, count));
    case 'INT64': return arrow.makeVector(new BigInt64Array(buffer, byteOffset, count));
    case 'UINT8': return arrow.makeVector(new Uint8Array(buffer, byteOffset, count));
    case 'UINT16': return arrow.makeVector(new Uint16Array(buffer, byteOffset, count));
    case 'UINT32': return arrow.makeVector(new Uint32Array(buffer, byteOffset, count));
    case 'UINT64': return arrow.makeVector(new BigUint64Array(buffer, byteOffset, count));
    case 'FP16': return arrow.makeVector(arrow.makeData({ type: new arrow.Float16(), length: count, data: new Uint16Array(buffer, byteOffset, count) }));
    case 'FP32': return arrow.makeVector(new Float32Array(buffer, byteOffset, count));
    case 'FP64': return arrow.makeVector(new Float64Array(buffer, byteOffset, count));
    case 'BYTES': throw new Error('BYTES is not a fixed-width type');
  }
}

function swapBytes(raw: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i += size) for (let j = 0; j < size; j++) out[i + j] = raw[i + size - 1 - j] ?? 0;
  return out;
}

/** Fortran (column-major) order to row-major. */
function transpose(name: string, datatype: V2Datatype, values: AnyVector, shape: readonly number[]): AnyVector {
  const count = values.length;
  const builder = ColumnBuilder.of(name, datatype, count);
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  for (let i = 0; i < count; i++) {
    // i walks row-major; the Fortran offset is sum(index[k] * prod(shape[0..k-1])).
    let offset = 0;
    let stride = 1;
    for (let k = 0; k < rank; k++) {
      offset += (index[k] ?? 0) * stride;
      stride *= shape[k] ?? 1;
    }
    builder.appendValue(values.get(offset) as number | bigint | boolean | string);
    for (let k = rank - 1; k >= 0; k--) {
      index[k] = (index[k] ?? 0) + 1;
      if ((index[k] ?? 0) < (shape[k] ?? 1)) break;
      index[k] = 0;
    }
  }
  return builder.finish();
}

export function readNpz(bytes: Uint8Array): TensorInput[] {
  const files = unzipSync(bytes);
  const names = Object.keys(files).filter((n) => n.endsWith('.npy'));
  if (names.length === 0) throw new Error('holds no .npy arrays');
  return names.map((n) => readNpy(n.replace(/\.npy$/, ''), files[n] ?? new Uint8Array(0)));
}

function jsonText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
