/**
 * apache-arrow <-> Open Inference Protocol (V2) tensors.
 *
 * The extension holds DataFrames as Arrow tables; the wire carries one V2 tensor per column
 * (DataFrame models, request parameter `content_type: "pd"`) or per named tensor (tensor models),
 * as raw contents: little-endian, row-major, no padding; each BYTES element prefixed by its length
 * as a 4-byte little-endian unsigned integer.
 *
 * Speed: a fixed-width column held in one Arrow chunk without nulls is sent as a Buffer *view* of
 * the column's data buffer (no copy, no per-value work); several chunks cost one memcpy each.
 * Decoding makes Arrow vectors over the received bytes (a view when the bytes are aligned for the
 * element type, one memcpy otherwise). Only BOOL (bit-packed in Arrow, one byte per element on the
 * wire) and BYTES (length prefixes) need a pass over the values.
 *
 * Missing values (nulls). V2 has no null marker; PyML follows runtime/README.md (frames.py):
 *   - FP16/FP32/FP64 columns: a null travels as NaN, pandas' own missing value for floats. NaN in
 *     an answer stays NaN (a value, shown as NaN); it does not turn back into null.
 *   - every other DataFrame column (int, uint, bool, string, bytes) with a null travels with a
 *     companion BOOL tensor `<column>:valid`, tensor parameter `validity_of: "<column>"`, one byte
 *     per row, 1 = present, 0 = missing; the column's own value at a missing row is 0 (or empty).
 *     The runtime hands such a column to pandas as nullable Int64/boolean or object with None, and
 *     answers the same way; decodeOutputs() folds an answer's companions back into Arrow nulls.
 *   - tensors (tensor models) cannot hold missing values: a vector with nulls is refused, naming it.
 * Empty tables are fine: every tensor has shape [0] and empty raw contents.
 *
 * This module is plain functions over data: no gRPC, no VS Code.
 */
import * as arrow from 'apache-arrow';
import { elementSize, type V2Datatype } from '../model/dtypes';
import { toInferParameters, type ModelInferRequest, type Params } from './v2types';
import { CONTENT_TYPE, CONTENT_TYPE_BYTES, CONTENT_TYPE_DATAFRAME, CONTENT_TYPE_TEXT, VALIDITY_PARAM, VALIDITY_SUFFIX } from './wire';


/** A V2 tensor without its contents: what goes in `inputs` / comes in `outputs`. */
export interface TensorHeader {
  readonly name: string;
  readonly datatype: V2Datatype;
  readonly shape: readonly number[];
  readonly parameters?: Params;
}

/** Encoded request inputs: headers and raw contents in the same order. */
export interface EncodedTensors {
  readonly tensors: readonly TensorHeader[];
  readonly raw: readonly Buffer[];
  /** Bytes of raw contents in all. */
  readonly byteLength: number;
  /** Request-level parameters (`content_type: "pd"` for DataFrames). */
  readonly parameters: Params;
}

/** A tensor decoded to Arrow: `values` is flat, row-major, with `shape`'s product elements. */
export interface DecodedTensor {
  readonly name: string;
  readonly datatype: V2Datatype;
  readonly shape: readonly number[];
  readonly values: AnyVector;
}

/** A tensor to encode: a flat Arrow vector in row-major order and its shape. */
export interface TensorInput {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: AnyVector;
  /** Send as this datatype instead of the one the Arrow type implies (must be compatible). */
  readonly datatype?: V2Datatype;
}

/** Typed contents as protobuf gives them (snake_case field names of InferTensorContents). */
export interface TypedContents {
  readonly bool_contents?: readonly boolean[];
  readonly int_contents?: readonly number[];
  readonly int64_contents?: readonly IntLike[];
  readonly uint_contents?: readonly number[];
  readonly uint64_contents?: readonly IntLike[];
  readonly fp32_contents?: readonly number[];
  readonly fp64_contents?: readonly number[];
  readonly bytes_contents?: readonly Uint8Array[];
}

/** A 64-bit integer as protobuf loaders hand it over: number, decimal string, bigint or Long. */
export type IntLike = number | string | bigint | { readonly low: number; readonly high: number; readonly unsigned?: boolean };

/** A tensor or column that cannot be encoded or decoded; `tensor` names it. */
export class CodecError extends Error {
  constructor(
    readonly tensor: string,
    message: string,
  ) {
    super(`${tensor}: ${message}`);
    this.name = 'CodecError';
  }
}

/** The request parameter that marks a DataFrame request (MLServer / PyML convention). */
export const DATAFRAME_PARAMETERS: Params = { [CONTENT_TYPE]: CONTENT_TYPE_DATAFRAME };

export type AnyVector = arrow.Vector<arrow.DataType>;
export type AnyData = arrow.Data;
export type AnyTable = arrow.Table<Record<string, arrow.DataType>>;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------
// Arrow type <-> V2 datatype

/** The V2 datatype that carries an Arrow type, or undefined when none does. */
export function v2DatatypeOf(type: arrow.DataType): V2Datatype | undefined {
  switch (type.typeId) {
    case arrow.Type.Bool:
      return 'BOOL';
    case arrow.Type.Int: {
      if (!arrow.DataType.isInt(type)) return undefined;
      return `${type.isSigned ? 'INT' : 'UINT'}${type.bitWidth}` as V2Datatype;
    }
    case arrow.Type.Float: {
      if (!arrow.DataType.isFloat(type)) return undefined;
      const p = type.precision;
      return p === arrow.Precision.HALF ? 'FP16' : p === arrow.Precision.SINGLE ? 'FP32' : 'FP64';
    }
    case arrow.Type.Utf8:
    case arrow.Type.LargeUtf8:
    case arrow.Type.Binary:
    case arrow.Type.LargeBinary:
      return 'BYTES';
    case arrow.Type.Dictionary:
      return arrow.DataType.isDictionary(type) ? v2DatatypeOf(type.dictionary as arrow.DataType) : undefined;
    default:
      return undefined;
  }
}

/** The Arrow type a V2 datatype decodes to; BYTES is Utf8 for text and Binary otherwise. */
export function arrowTypeOf(datatype: V2Datatype, text = true): arrow.DataType {
  switch (datatype) {
    case 'BOOL': return new arrow.Bool();
    case 'INT8': return new arrow.Int8();
    case 'INT16': return new arrow.Int16();
    case 'INT32': return new arrow.Int32();
    case 'INT64': return new arrow.Int64();
    case 'UINT8': return new arrow.Uint8();
    case 'UINT16': return new arrow.Uint16();
    case 'UINT32': return new arrow.Uint32();
    case 'UINT64': return new arrow.Uint64();
    case 'FP16': return new arrow.Float16();
    case 'FP32': return new arrow.Float32();
    case 'FP64': return new arrow.Float64();
    case 'BYTES': return text ? new arrow.Utf8() : new arrow.Binary();
  }
}

const TYPED_ARRAY: Readonly<Record<Exclude<V2Datatype, 'BYTES' | 'BOOL'>, TypedArrayCtor>> = {
  INT8: Int8Array, INT16: Int16Array, INT32: Int32Array, INT64: BigInt64Array,
  UINT8: Uint8Array, UINT16: Uint16Array, UINT32: Uint32Array, UINT64: BigUint64Array,
  FP16: Uint16Array, FP32: Float32Array, FP64: Float64Array,
};

type FixedArray =
  | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Uint32Array
  | BigUint64Array | Float32Array | Float64Array;

interface TypedArrayCtor {
  readonly BYTES_PER_ELEMENT: number;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): FixedArray;
  new (length: number): FixedArray;
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** The ModelInferRequest carrying encoded tensors as raw contents (what every caller sends). */
export function inferRequest(modelName: string, encoded: EncodedTensors, id = ''): ModelInferRequest {
  return {
    model_name: modelName,
    id,
    parameters: toInferParameters(encoded.parameters),
    inputs: encoded.tensors.map((t) => ({
      name: t.name,
      datatype: t.datatype,
      shape: t.shape,
      ...(t.parameters ? { parameters: toInferParameters(t.parameters) } : {}),
    })),
    raw_input_contents: encoded.raw,
  };
}

/**
 * Encodes a DataFrame: one tensor per column, shape [rows], in column order, with the request
 * parameter `content_type: "pd"`. Throws CodecError naming the first column that cannot travel.
 */
export function encodeTable(table: AnyTable): EncodedTensors {
  assertLittleEndian();
  const tensors: TensorHeader[] = [];
  const raw: Buffer[] = [];
  let byteLength = 0;
  const rows = table.numRows;
  for (const field of table.schema.fields) {
    const column = table.getChild(field.name);
    if (!column) throw new CodecError(field.name, 'column is missing from the table');
    const datatype = datatypeOrThrow(field.name, column.type);
    const bytes = encodeVector(field.name, datatype, column, 'validity');
    tensors.push({ name: field.name, datatype, shape: [rows] });
    raw.push(bytes);
    byteLength += bytes.byteLength;
    if (column.nullCount > 0 && !isFloat(datatype)) {
      const valid = validityBytes(column);
      tensors.push({ name: `${field.name}${VALIDITY_SUFFIX}`, datatype: 'BOOL', shape: [rows], parameters: { [VALIDITY_PARAM]: field.name } });
      raw.push(valid);
      byteLength += valid.byteLength;
    }
  }
  return { tensors, raw, byteLength, parameters: DATAFRAME_PARAMETERS };
}

/** Encodes named tensors (tensor models): checks that each shape holds exactly its values. */
export function encodeTensors(inputs: readonly TensorInput[]): EncodedTensors {
  assertLittleEndian();
  const tensors: TensorHeader[] = [];
  const raw: Buffer[] = [];
  let byteLength = 0;
  for (const input of inputs) {
    const implied = datatypeOrThrow(input.name, input.values.type);
    const datatype = input.datatype ?? implied;
    if (datatype !== implied) {
      throw new CodecError(input.name, `holds ${implied} values but is declared ${datatype}`);
    }
    const count = elementCount(input.name, input.shape);
    if (count !== input.values.length) {
      throw new CodecError(
        input.name,
        `shape [${input.shape.join(', ')}] holds ${count} elements but ${input.values.length} were given`,
      );
    }
    const bytes = encodeVector(input.name, datatype, input.values);
    tensors.push({ name: input.name, datatype, shape: [...input.shape] });
    raw.push(bytes);
    byteLength += bytes.byteLength;
  }
  return { tensors, raw, byteLength, parameters: {} };
}

/**
 * What to do with nulls: `refuse` (tensors), `validity` (DataFrame columns: NaN in floats, 0 or empty
 * elsewhere, with a companion sent by encodeTable).
 */
export type NullHandling = 'refuse' | 'validity';

/** Raw V2 contents of one Arrow vector. */
export function encodeVector(name: string, datatype: V2Datatype, vector: AnyVector, nulls: NullHandling = 'refuse'): Buffer {
  const chunks = vector.data.map((d) => (d.typeId === arrow.Type.Dictionary ? decodeDictionary(d) : d));
  if (nulls === 'refuse') refuseNulls(name, datatype, chunks);
  if (datatype === 'BYTES') return encodeBytes(chunks);
  if (datatype === 'BOOL') return encodeBool(chunks);
  const size = elementSize(datatype) ?? 0;
  const views = chunks.map((d) => fixedView(d, size));
  const first = views[0];
  const withNulls = chunks.some((d) => d.nullCount > 0);
  if (views.length === 1 && first && !withNulls) return first; // the zero-copy path
  const out = Buffer.concat(views, vector.length * size);
  if (withNulls) fillNulls(out, datatype, chunks);
  return out;
}

function isFloat(datatype: V2Datatype): boolean {
  return datatype === 'FP16' || datatype === 'FP32' || datatype === 'FP64';
}

/** One byte per row, 1 = present: the body of a validity companion. */
function validityBytes(vector: AnyVector): Buffer {
  const out = Buffer.allocUnsafe(vector.length);
  let at = 0;
  for (const d of vector.data) {
    if (d.nullCount === 0) {
      out.fill(1, at, at + d.length);
    } else {
      for (let i = 0; i < d.length; i++) out[at + i] = d.getValid(i) ? 1 : 0;
    }
    at += d.length;
  }
  return out;
}

function datatypeOrThrow(name: string, type: arrow.DataType): V2Datatype {
  const datatype = v2DatatypeOf(type);
  if (!datatype) {
    throw new CodecError(
      name,
      `Arrow type ${arrow.Type[type.typeId]} has no V2 datatype (use bool, int8-64, uint8-64, float16-64 or string/binary)`,
    );
  }
  return datatype;
}

/** A Buffer view over a fixed-width chunk's values (Arrow slices its data buffer with the chunk). */
function fixedView(d: AnyData, size: number): Buffer {
  const values = d.values as FixedArray;
  return Buffer.from(values.buffer, values.byteOffset, d.length * size);
}

function refuseNulls(name: string, datatype: V2Datatype, chunks: readonly AnyData[]): void {
  let nulls = 0;
  let first = -1;
  let base = 0;
  for (const d of chunks) {
    if (d.nullCount > 0) {
      if (first < 0) first = base + firstNull(d);
      nulls += d.nullCount;
    }
    base += d.length;
  }
  if (nulls > 0) {
    throw new CodecError(
      name,
      `${nulls} missing value${nulls === 1 ? '' : 's'} (first at row ${first}); ` +
        `a ${datatype} tensor cannot hold missing values: fill them (NaN for floats)`,
    );
  }
}

function firstNull(d: AnyData): number {
  for (let i = 0; i < d.length; i++) if (!d.getValid(i)) return i;
  return -1;
}

/** The value a null row carries on the wire: NaN in floats, 0 in the other fixed-width types. */
function fillNulls(out: Buffer, datatype: V2Datatype, chunks: readonly AnyData[]): void {
  const size = elementSize(datatype) ?? 1;
  let base = 0;
  for (const d of chunks) {
    if (d.nullCount > 0) {
      for (let i = 0; i < d.length; i++) {
        if (d.getValid(i)) continue;
        const at = (base + i) * size;
        if (datatype === 'FP64') out.writeDoubleLE(NaN, at);
        else if (datatype === 'FP32') out.writeFloatLE(NaN, at);
        else if (datatype === 'FP16') out.writeUInt16LE(0x7e00, at); // quiet NaN
        else out.fill(0, at, at + size);
      }
    }
    base += d.length;
  }
}

function encodeBool(chunks: readonly AnyData[]): Buffer {
  let total = 0;
  for (const d of chunks) total += d.length;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const d of chunks) {
    const bits = d.values as Uint8Array;
    const offset = d.offset;
    const nulls = d.nullCount > 0;
    for (let i = 0; i < d.length; i++) {
      const bit = offset + i;
      out[at++] = nulls && !d.getValid(i) ? 0 : ((bits[bit >> 3] ?? 0) >> (bit & 7)) & 1;
    }
  }
  return out;
}

/** Length-prefixed elements; a null row is an empty element. */
function encodeBytes(chunks: readonly AnyData[]): Buffer {
  let total = 0;
  for (const d of chunks) {
    const offsets = d.valueOffsets as Int32Array | BigInt64Array;
    total += 4 * d.length + Number(offsets[d.length] ?? 0) - Number(offsets[0] ?? 0);
  }
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const d of chunks) {
    const values = d.values as Uint8Array;
    const offsets = d.valueOffsets as Int32Array | BigInt64Array;
    const big = offsets instanceof BigInt64Array;
    const nulls = d.nullCount > 0;
    for (let i = 0; i < d.length; i++) {
      const start = big ? Number(offsets[i]) : (offsets[i] as number);
      const end = big ? Number(offsets[i + 1]) : (offsets[i + 1] as number);
      const n = nulls && !d.getValid(i) ? 0 : end - start;
      out.writeUInt32LE(n, at);
      at += 4;
      if (n > 0) {
        out.set(values.subarray(start, end), at);
        at += n;
      }
    }
  }
  return at === total ? out : out.subarray(0, at);
}

/** A dictionary-encoded chunk (common in Parquet and Arrow files) spelled out as plain values. */
function decodeDictionary(d: AnyData): AnyData {
  const dictionary = d.dictionary;
  if (!dictionary) return d;
  const keys = d.values as ArrayLike<number | bigint>;
  const values: unknown[] = new Array<unknown>(d.length);
  for (let i = 0; i < d.length; i++) {
    values[i] = d.getValid(i) ? (dictionary.get(Number(keys[i])) as unknown) : null;
  }
  const plain = arrow.vectorFromArray(values, dictionary.type as arrow.DataType).data;
  const [only] = plain;
  if (plain.length !== 1 || !only) throw new Error('a dictionary column did not decode to one chunk');
  return only;
}

// ---------------------------------------------------------------------------------------------
// Decoding

export interface DecodeOptions {
  /** BYTES tensors decode to Utf8 when true, Binary when false; default: Utf8 when every element is UTF-8. */
  readonly text?: boolean;
}

/**
 * Decodes one V2 tensor from raw contents (preferred) or typed contents. Checks that the bytes hold
 * exactly the shape's element count; throws CodecError naming the tensor otherwise.
 */
export function decodeTensor(
  header: TensorHeader,
  raw: Uint8Array | undefined,
  contents?: TypedContents,
  options: DecodeOptions = {},
): DecodedTensor {
  assertLittleEndian();
  const { name, datatype } = header;
  const shape = header.shape.map((n) => toSafeInteger(name, n));
  const count = elementCount(name, shape);
  const values =
    raw !== undefined && (raw.byteLength > 0 || !hasTypedContents(contents))
      ? decodeRaw(name, datatype, count, raw, options)
      : decodeTyped(name, datatype, count, contents ?? {}, options);
  return { name, datatype, shape, values };
}

/** One output as it came: header, raw contents (when the answer used them), typed contents. */
export interface WireTensor {
  readonly header: TensorHeader;
  readonly raw?: Uint8Array | undefined;
  readonly contents?: TypedContents | null | undefined;
}

/**
 * Decodes a response's outputs. Validity companions (parameter `validity_of`) are folded into their
 * column as Arrow nulls and do not appear themselves. BYTES outputs marked `content_type: "str"`
 * decode to Utf8; other BYTES to Utf8 when every element is UTF-8, else Binary.
 */
export function decodeOutputs(outputs: readonly WireTensor[], options: DecodeOptions = {}): DecodedTensor[] {
  const decoded: DecodedTensor[] = [];
  const companions: { target: string; valid: DecodedTensor }[] = [];
  for (const { header, raw, contents } of outputs) {
    const contentType = header.parameters?.[CONTENT_TYPE];
    const text = options.text ?? (contentType === CONTENT_TYPE_TEXT ? true : contentType === CONTENT_TYPE_BYTES ? false : undefined);
    const tensor = decodeTensor(header, raw, contents ?? undefined, text === undefined ? {} : { text });
    const target = header.parameters?.[VALIDITY_PARAM];
    if (typeof target === 'string' && header.datatype === 'BOOL') companions.push({ target, valid: tensor });
    else decoded.push(tensor);
  }
  for (const { target, valid } of companions) {
    const at = decoded.findIndex((t) => t.name === target);
    const column = decoded[at];
    if (!column) throw new CodecError(valid.name, `marks the validity of '${target}', which is not an output`);
    if (valid.values.length !== column.values.length) {
      throw new CodecError(valid.name, `has ${valid.values.length} rows but '${target}' has ${column.values.length}`);
    }
    decoded[at] = { ...column, values: withValidity(column.values, valid.values) };
  }
  return decoded;
}

/** The vector with `valid` (a Bool vector, true = present) as its null bitmap. */
function withValidity(values: AnyVector, valid: AnyVector): AnyVector {
  const data = singleChunk(values);
  const bits = singleChunk(valid).values as Uint8Array;
  let present = 0;
  for (let i = 0; i < data.length; i++) if ((((bits[i >> 3] ?? 0) >> (i & 7)) & 1) === 1) present++;
  const bitmap = data.offset === 0 ? bits : shiftBitmap(bits, data.offset, data.length);
  const buffers = { ...data.buffers, [arrow.BufferType.VALIDITY]: bitmap };
  return arrow.makeVector(data.clone(data.type, data.offset, data.length, data.length - present, buffers));
}

/** A bitmap whose bit (offset + i) is bit i of `bits`. */
function shiftBitmap(bits: Uint8Array, offset: number, length: number): Uint8Array {
  const out = new Uint8Array((offset + length + 7) >> 3);
  for (let i = 0; i < length; i++) {
    if ((((bits[i >> 3] ?? 0) >> (i & 7)) & 1) === 1) {
      const b = offset + i;
      out[b >> 3] = (out[b >> 3] ?? 0) | (1 << (b & 7));
    }
  }
  return out;
}

function hasTypedContents(c: TypedContents | undefined): boolean {
  if (!c) return false;
  return Object.values(c).some((v) => Array.isArray(v) && v.length > 0);
}

function decodeRaw(name: string, datatype: V2Datatype, count: number, raw: Uint8Array, options: DecodeOptions): AnyVector {
  if (datatype === 'BYTES') return decodeBytes(name, count, raw, options);
  const size = elementSize(datatype) ?? 1;
  if (raw.byteLength !== count * size) {
    throw new CodecError(
      name,
      `raw contents hold ${raw.byteLength} bytes; ${count} ${datatype} elements need ${count * size}`,
    );
  }
  if (datatype === 'BOOL') return boolVector(count, (i) => raw[i] !== 0);
  const Ctor = TYPED_ARRAY[datatype];
  const aligned = raw.byteOffset % Ctor.BYTES_PER_ELEMENT === 0 ? raw : Uint8Array.prototype.slice.call(raw);
  return fixedVector(datatype, new Ctor(aligned.buffer, aligned.byteOffset, count));
}

function decodeBytes(name: string, count: number, raw: Uint8Array, options: DecodeOptions): AnyVector {
  // First pass: validate the length prefixes and lay out the offsets; second: copy the values.
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const offsets = new Int32Array(count + 1);
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > raw.byteLength) {
      throw new CodecError(name, `raw BYTES contents end after ${i} of ${count} elements`);
    }
    const n = view.getUint32(at, true);
    at += 4;
    if (n > raw.byteLength - at) {
      throw new CodecError(name, `BYTES element ${i} claims ${n} bytes but only ${raw.byteLength - at} remain`);
    }
    at += n;
    offsets[i + 1] = (offsets[i] ?? 0) + n;
  }
  if (at !== raw.byteLength) {
    throw new CodecError(name, `raw BYTES contents hold ${raw.byteLength - at} bytes after the last of ${count} elements`);
  }
  const data = new Uint8Array(offsets[count] ?? 0);
  at = 0;
  for (let i = 0; i < count; i++) {
    const start = offsets[i] ?? 0;
    const n = (offsets[i + 1] ?? 0) - start;
    at += 4;
    if (n > 0) data.set(raw.subarray(at, at + n), start);
    at += n;
  }
  return bytesVector(data, offsets, options);
}

function bytesVector(data: Uint8Array, offsets: Int32Array, options: DecodeOptions): AnyVector {
  const length = offsets.length - 1;
  const text = options.text ?? isUtf8Elements(data, offsets);
  return text
    ? arrow.makeVector(arrow.makeData({ type: new arrow.Utf8(), length, valueOffsets: offsets, data }))
    : arrow.makeVector(arrow.makeData({ type: new arrow.Binary(), length, valueOffsets: offsets, data }));
}

/** True when each element is valid UTF-8: the whole is, and no element starts inside a character. */
function isUtf8Elements(bytes: Uint8Array, offsets: Int32Array): boolean {
  if (!isUtf8(bytes)) return false;
  for (let i = 0; i < offsets.length - 1; i++) {
    const start = offsets[i] ?? 0;
    if (start < (offsets[i + 1] ?? 0) && ((bytes[start] ?? 0) & 0xc0) === 0x80) return false;
  }
  return true;
}

function isUtf8(bytes: Uint8Array): boolean {
  const check = (Buffer as unknown as { isUtf8?: (b: Uint8Array) => boolean }).isUtf8;
  if (check) return check(bytes);
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function decodeTyped(
  name: string,
  datatype: V2Datatype,
  count: number,
  c: TypedContents,
  options: DecodeOptions,
): AnyVector {
  const need = <T>(values: readonly T[] | undefined, field: string): readonly T[] => {
    const list = values ?? [];
    if (list.length !== count) {
      throw new CodecError(name, `${field} holds ${list.length} values; the shape needs ${count}`);
    }
    return list;
  };
  switch (datatype) {
    case 'BOOL': {
      const v = need(c.bool_contents, 'bool_contents');
      return boolVector(count, (i) => v[i] === true);
    }
    case 'INT8': case 'INT16': case 'INT32': case 'UINT8': case 'UINT16': case 'UINT32': {
      const field = datatype.startsWith('U') ? 'uint_contents' : 'int_contents';
      const v = need(datatype.startsWith('U') ? c.uint_contents : c.int_contents, field);
      const array = new TYPED_ARRAY[datatype](count);
      for (let i = 0; i < count; i++) array[i] = Number(v[i]);
      return fixedVector(datatype, array);
    }
    case 'INT64': case 'UINT64': {
      const unsigned = datatype === 'UINT64';
      const v = need(unsigned ? c.uint64_contents : c.int64_contents, unsigned ? 'uint64_contents' : 'int64_contents');
      const array = unsigned ? new BigUint64Array(count) : new BigInt64Array(count);
      for (let i = 0; i < count; i++) array[i] = toBigInt(name, v[i] ?? 0, unsigned);
      return fixedVector(datatype, array);
    }
    case 'FP32':
      return fixedVector(datatype, Float32Array.from(need(c.fp32_contents, 'fp32_contents')));
    case 'FP64':
      return fixedVector(datatype, Float64Array.from(need(c.fp64_contents, 'fp64_contents')));
    case 'FP16':
      throw new CodecError(name, 'FP16 has no typed contents field; it must come as raw contents');
    case 'BYTES': {
      const v = need(c.bytes_contents, 'bytes_contents');
      let total = 0;
      for (const b of v) total += b.byteLength;
      const offsets = new Int32Array(count + 1);
      const data = new Uint8Array(total);
      let at = 0;
      v.forEach((b, i) => {
        data.set(b, at);
        at += b.byteLength;
        offsets[i + 1] = at;
      });
      return bytesVector(data, offsets, options);
    }
  }
}

/** An Arrow vector over the typed array itself (no copy); FP16 is stored as Uint16 bits. */
function fixedVector(datatype: V2Datatype, array: FixedArray): AnyVector {
  if (datatype === 'FP16') {
    return arrow.makeVector(arrow.makeData({ type: new arrow.Float16(), length: array.length, data: array as Uint16Array }));
  }
  return arrow.makeVector(array);
}

function boolVector(count: number, get: (i: number) => boolean): AnyVector {
  const bits = new Uint8Array((count + 7) >> 3);
  for (let i = 0; i < count; i++) if (get(i)) bits[i >> 3] = (bits[i >> 3] ?? 0) | (1 << (i & 7));
  return arrow.makeVector(arrow.makeData({ type: new arrow.Bool(), length: count, data: bits }));
}

// ---------------------------------------------------------------------------------------------
// Tensors -> table

/**
 * Puts decoded tensors side by side as one table. Every tensor needs the same first dimension
 * (the rows); a tensor of shape [n] or [n, 1] becomes a plain column, [n, k...] a FixedSizeList
 * column of prod(k...) elements per row whose field metadata `pyml.shape` keeps the full shape.
 * Throws CodecError when the first dimensions differ (show such tensors one by one instead).
 */
export function tensorsToTable(tensors: readonly DecodedTensor[]): AnyTable {
  if (tensors.length === 0) return new arrow.Table<Record<string, arrow.DataType>>({});
  const first = tensors[0];
  const rows = first?.shape[0] ?? 1;
  const children: AnyData[] = [];
  const fields: arrow.Field[] = [];
  for (const t of tensors) {
    const n = t.shape.length === 0 ? 1 : (t.shape[0] ?? 0);
    if (n !== rows) {
      throw new CodecError(t.name, `has ${n} rows (shape [${t.shape.join(', ')}]) but ${first?.name ?? ''} has ${rows}`);
    }
    const width = t.shape.slice(1).reduce((a, b) => a * b, 1);
    let column = singleChunk(t.values);
    if (t.shape.length > 1 && !(t.shape.length === 2 && width === 1)) {
      const type = new arrow.FixedSizeList(width, new arrow.Field('item', t.values.type, false));
      column = arrow.makeData({ type, length: rows, child: column });
    }
    const metadata = new Map([['pyml.shape', JSON.stringify(t.shape)], ['pyml.datatype', t.datatype]]);
    fields.push(new arrow.Field(t.name, column.type, column.nullCount > 0, metadata));
    children.push(column);
  }
  const schema = new arrow.Schema<Record<string, arrow.DataType>>(fields);
  const batch = new arrow.RecordBatch<Record<string, arrow.DataType>>(schema, arrow.makeData({ type: new arrow.Struct(fields), length: rows, children }));
  return new arrow.Table<Record<string, arrow.DataType>>(batch);
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** The vector's values as one Data chunk (decoded tensors already are; others are joined). */
export function singleChunk(vector: AnyVector): AnyData {
  const [only] = vector.data;
  if (vector.data.length === 1 && only) return only;
  const rebuilt = arrow.vectorFromArray([...vector] as unknown[], vector.type).data;
  const [joined] = rebuilt;
  if (rebuilt.length !== 1 || !joined) throw new Error('a vector did not join into one chunk');
  return joined;
}

export function elementCount(name: string, shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new CodecError(name, `shape [${shape.join(', ')}] has a dimension that is not a whole number >= 0`);
    }
    n *= d;
  }
  return n;
}

/** A shape dimension from protobuf (number, string, bigint or Long) as a safe integer. */
export function toSafeInteger(name: string, value: IntLike): number {
  const n = Number(toBigInt(name, value, false));
  if (!Number.isSafeInteger(n)) throw new CodecError(name, `dimension ${toBigInt(name, value, false)} is out of range`);
  return n;
}

function toBigInt(name: string, value: IntLike, unsigned: boolean): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new CodecError(name, `${value} is not an integer`);
    return BigInt(value);
  }
  if (typeof value === 'string') {
    if (!/^-?\d+$/.test(value)) throw new CodecError(name, `'${value}' is not an integer`);
    return BigInt(value);
  }
  const big = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  return unsigned || value.unsigned === true ? big : BigInt.asIntN(64, big);
}

function assertLittleEndian(): void {
  if (!LITTLE_ENDIAN) throw new Error('the V2 codec needs a little-endian machine');
}
