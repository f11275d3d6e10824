/**
 * The one column builder: values of any input (CSV fields, JSON values, Parquet and DuckDB values,
 * Arrow vectors, cells typed in the panel) -> one Arrow column of the type it is read as, straight
 * into typed arrays, with Arrow nulls for missing values.
 *
 *  - text (`pushText`): the value grammar of values.ts.
 *  - plain values (`pushValue`: JSON, Parquet as hyparquet decodes it, DuckDB): numbers, bigints,
 *    booleans, strings, bytes, null. A typed array of the right element type becomes the column as
 *    it is (`columnFromValues`).
 *  - Arrow vectors (`castVector`): kept as they are when the type is the same, else value by value.
 *  - hand-typed cells (`appendCell`) and values already of the column's kind (`appendValue`): the panel.
 * A value that does not fit throws an InputError naming its row (one-based, as people count data
 * rows) and column.
 */
import * as arrow from 'apache-arrow';
import type { V2Datatype } from '../model/dtypes';
import { arrowTypeOf, v2DatatypeOf } from '../protocol/arrowCodec';
import { InputError } from './errors';
import { arrowTypeName } from './fields';
import { clip, intRangeProblem, parseFloatText, parseText, parseTypedCell, FLOAT_MAX, type Value } from './values';

export type AnyVector = arrow.Vector<arrow.DataType>;

/** Where a column's values start in the input, for messages: row `rowStart + i + 1`. */
export interface Origin {
  readonly column: string;
  readonly rowStart: number;
}

type Kind = 'bool' | 'int' | 'bigint' | 'float' | 'utf8' | 'binary';
type NumberArray = Float64Array | Float32Array | Uint16Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint32Array;
type BigArray = BigInt64Array | BigUint64Array;
type NumberArrayCtor = new (n: number) => NumberArray;
type BigArrayCtor = new (n: number) => BigArray;

/** How values of an Arrow type are stored (V2's types, plus Utf8 for text keys). */
function kindOf(type: arrow.DataType): { kind: Kind; Array?: NumberArrayCtor | BigArrayCtor } {
  if (arrow.DataType.isBool(type)) return { kind: 'bool' };
  if (arrow.DataType.isUtf8(type)) return { kind: 'utf8' };
  if (arrow.DataType.isBinary(type)) return { kind: 'binary' };
  if (arrow.DataType.isFloat(type)) {
    if (type.precision === arrow.Precision.HALF) return { kind: 'float', Array: Uint16Array };
    return { kind: 'float', Array: type.precision === arrow.Precision.SINGLE ? Float32Array : Float64Array };
  }
  if (arrow.DataType.isInt(type)) {
    const bits = type.bitWidth;
    if (bits === 64) return { kind: 'bigint', Array: type.isSigned ? BigInt64Array : BigUint64Array };
    const Array = type.isSigned ? ({ 8: Int8Array, 16: Int16Array, 32: Int32Array } as const)[bits] : ({ 8: Uint8Array, 16: Uint16Array, 32: Uint32Array } as const)[bits];
    return { kind: 'int', Array };
  }
  throw new Error(`cannot read a column as ${arrowTypeName(type)}`);
}

/** Builds one Arrow column value by value; its storage grows when more values come than planned. */
export class ColumnBuilder {
  /** The V2 datatype of the column (BYTES for text and bytes). */
  readonly datatype: V2Datatype;
  private type: arrow.DataType;
  private kind: Kind;
  private numbers: NumberArray | undefined;
  private bigints: BigArray | undefined;
  private bools: Uint8Array | undefined;
  private readonly half: boolean;
  /** The largest finite value of a float column (Infinity for the others). */
  private readonly floatMax: number;
  private validity: Uint8Array | undefined;
  private nulls = 0;
  private bytes: Buffer = Buffer.alloc(0);
  private bytesUsed = 0;
  private offsets: Int32Array | undefined;
  private capacity: number;
  private length = 0;
  private readonly origin: Origin;

  constructor(type: arrow.DataType, capacity: number, origin: Origin) {
    const k = kindOf(type);
    this.type = type;
    this.kind = k.kind;
    this.datatype = v2DatatypeOf(type) ?? 'BYTES';
    this.origin = origin;
    this.capacity = Math.max(16, capacity);
    this.half = arrow.DataType.isFloat(type) && type.precision === arrow.Precision.HALF;
    this.floatMax = FLOAT_MAX[this.datatype] ?? Infinity;
    if (k.kind === 'bigint') this.bigints = new (k.Array as BigArrayCtor)(this.capacity);
    else if (k.kind === 'int' || k.kind === 'float') this.numbers = new (k.Array as NumberArrayCtor)(this.capacity);
    else if (k.kind === 'bool') this.bools = new Uint8Array((this.capacity + 7) >> 3);
    else {
      this.offsets = new Int32Array(this.capacity + 1);
      this.bytes = Buffer.allocUnsafe(Math.max(64, this.capacity * 8));
    }
  }

  /** A builder for a V2 datatype (BYTES as Utf8 text); `name` is the column in messages. */
  static of(name: string, datatype: V2Datatype, capacity = 1024): ColumnBuilder {
    return new ColumnBuilder(arrowTypeOf(datatype), capacity, { column: name, rowStart: 0 });
  }

  get rows(): number {
    return this.length;
  }

  /** Appends a missing value. */
  pushNull(): void {
    this.reserveRow();
    const i = this.length++;
    this.validity ??= new Uint8Array((this.capacity + 7) >> 3).fill(0xff);
    this.validity[i >> 3] = (this.validity[i >> 3] ?? 0) & ~(1 << (i & 7));
    this.nulls++;
    if (this.offsets) this.offsets[i + 1] = this.bytesUsed;
  }

  /** Appends a value given as text (a CSV field), by the value grammar. */
  pushText(text: string): void {
    switch (this.kind) {
      case 'utf8':
        this.pushString(text);
        return;
      case 'binary':
        this.pushBytes(Buffer.from(text, 'utf8'));
        return;
      case 'float': {
        const v = parseFloatText(text.trim());
        if (v !== undefined) {
          this.pushFloatInRange(v, text);
          return;
        }
        break;
      }
      default:
        break;
    }
    const r = parseText(this.datatype, text);
    if (!r.ok) throw this.problem(r.error);
    this.pushParsed(r.value);
  }

  /** Appends a plain value (JSON, Parquet, DuckDB); null and undefined are missing values. */
  pushValue(value: unknown): void {
    if (value === null || value === undefined) {
      this.pushNull();
      return;
    }
    switch (this.kind) {
      case 'float':
        if (typeof value === 'number') this.pushFloatInRange(value);
        else if (typeof value === 'bigint') this.pushFloatInRange(Number(value));
        else if (typeof value === 'string' && /^[+-]?(nan|inf|infinity)$/i.test(value)) this.pushFloat(parseFloatText(value) ?? NaN);
        else throw this.problem(`${describe(value)} is not a number`);
        return;
      case 'int':
      case 'bigint':
        if (typeof value === 'bigint') this.pushInteger(value);
        else if (typeof value === 'number' && Number.isInteger(value)) this.pushInteger(BigInt(value));
        else throw this.problem(`${describe(value)} is not a whole number`);
        return;
      case 'bool':
        if (typeof value !== 'boolean') throw this.problem(`${describe(value)} is not true or false`);
        this.pushBool(value);
        return;
      case 'utf8':
        if (typeof value === 'string') this.pushString(value);
        else throw this.problem(`${describe(value)} is not a string`);
        return;
      case 'binary':
        if (value instanceof Uint8Array) this.pushBytes(value);
        else if (typeof value === 'string') this.pushBytes(Buffer.from(value, 'utf8'));
        else throw this.problem(`${describe(value)} is not bytes`);
        return;
    }
  }

  /** Appends any value as text (columns whose type has no V2 datatype: dates, decimals ...). */
  pushAsText(value: unknown): void {
    if (value === null || value === undefined) this.pushNull();
    else this.pushString(textOf(value));
  }

  /**
   * Appends a cell typed by hand (values.ts `parseTypedCell`); returns the problem (and appends a
   * missing value) when it does not read as the column's type.
   */
  appendCell(text: string | null): string | undefined {
    const r = parseTypedCell(this.datatype, text);
    if (!r.ok) {
      this.pushNull();
      return r.error;
    }
    this.pushParsed(r.value);
    return undefined;
  }

  /**
   * Appends a value that already has the column's kind (number, bigint for 64-bit ints, boolean,
   * string, null). Bytes (Uint8Array) make a text column Binary.
   */
  appendValue(value: Value | Uint8Array): void {
    if (value === null) this.pushNull();
    else if (value instanceof Uint8Array) {
      if (this.kind === 'utf8') this.becomeBinary();
      this.pushValue(value);
    } else if (this.kind === 'utf8' || this.kind === 'binary') this.pushValue(typeof value === 'string' ? value : String(value));
    else if (typeof value === 'string') this.pushText(value);
    else this.pushParsed(value);
  }

  finish(): AnyVector {
    const length = this.length;
    const nullBitmap = this.nulls > 0 ? this.validity?.subarray(0, (length + 7) >> 3) : undefined;
    const common = { length, nullCount: this.nulls, ...(nullBitmap ? { nullBitmap } : {}) };
    const fixed = this.numbers ?? this.bigints;
    if (fixed) return makeColumn({ type: this.type, ...common, data: fixed.subarray(0, length) });
    if (this.bools) return makeColumn({ type: this.type, ...common, data: this.bools.subarray(0, (length + 7) >> 3) });
    const valueOffsets = (this.offsets ?? new Int32Array(1)).subarray(0, length + 1);
    const data = this.bytes.subarray(0, this.bytesUsed);
    return makeColumn({ type: this.type, ...common, valueOffsets, data });
  }

  private get row(): number {
    return this.origin.rowStart + this.length + 1;
  }

  private problem(what: string): InputError {
    return new InputError(`row ${this.row}, column '${this.origin.column}': ${what} (read as ${arrowTypeName(this.type)})`);
  }

  /** A value parsed for this column's datatype (number, bigint, boolean, string or null). */
  private pushParsed(v: Value): void {
    if (v === null) this.pushNull();
    else if (typeof v === 'string') this.pushValue(v);
    else if (typeof v === 'boolean') {
      if (this.kind === 'bool') this.pushBool(v);
      else this.pushValue(v ? 1 : 0);
    } else if (this.kind === 'float') this.pushFloat(Number(v));
    else if (this.kind === 'bool') this.pushBool(v !== 0 && v !== 0n);
    else this.pushInteger(typeof v === 'bigint' ? v : BigInt(Math.trunc(v)));
  }

  /** A float, refused when it is finite but beyond the largest value of the column's type. */
  private pushFloatInRange(v: number, text?: string): void {
    const max = this.floatMax;
    if ((v > max || v < -max) && Number.isFinite(v)) throw this.problem(`${text === undefined ? v : clip(text.trim())} is out of range for ${this.datatype} (largest ${max})`);
    this.pushFloat(v);
  }

  private pushFloat(v: number): void {
    this.reserveRow();
    const numbers = this.numbers;
    if (!numbers) return;
    numbers[this.length++] = this.half ? toHalf(v) : v;
  }

  private pushInteger(v: bigint): void {
    const problem = intRangeProblem(this.datatype, v);
    if (problem) throw this.problem(problem);
    this.reserveRow();
    if (this.bigints) this.bigints[this.length++] = v;
    else if (this.numbers) this.numbers[this.length++] = Number(v);
  }

  private pushBool(b: boolean): void {
    this.reserveRow();
    const bools = this.bools;
    if (!bools) return;
    const i = this.length++;
    if (b) bools[i >> 3] = (bools[i >> 3] ?? 0) | (1 << (i & 7));
  }

  private pushString(s: string): void {
    this.reserveRow();
    // At most 3 bytes per UTF-16 unit.
    this.reserveBytes(s.length * 3);
    const written = this.bytes.write(s, this.bytesUsed, 'utf8');
    this.bytesUsed += written;
    this.endElement();
  }

  private pushBytes(b: Uint8Array): void {
    this.reserveRow();
    this.reserveBytes(b.byteLength);
    this.bytes.set(b, this.bytesUsed);
    this.bytesUsed += b.byteLength;
    this.endElement();
  }

  private endElement(): void {
    if (this.bytesUsed > 0x7fffffff) throw this.problem('the column holds over 2 GiB of text; read fewer rows at a time');
    const offsets = this.offsets;
    if (offsets) offsets[++this.length] = this.bytesUsed;
  }

  private becomeBinary(): void {
    this.kind = 'binary';
    this.type = new arrow.Binary();
  }

  /** Room for one more row. */
  private reserveRow(): void {
    if (this.length < this.capacity) return;
    const capacity = this.capacity * 2;
    const grow = <T extends NumberArray | BigArray | Uint8Array | Int32Array>(a: T, n: number): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      (b as Uint8Array).set(a as Uint8Array);
      return b;
    };
    if (this.numbers) this.numbers = grow(this.numbers, capacity);
    if (this.bigints) this.bigints = grow(this.bigints, capacity);
    if (this.bools) this.bools = grow(this.bools, (capacity + 7) >> 3);
    if (this.offsets) this.offsets = grow(this.offsets, capacity + 1);
    if (this.validity) {
      const validity = new Uint8Array((capacity + 7) >> 3).fill(0xff);
      validity.set(this.validity);
      this.validity = validity;
    }
    this.capacity = capacity;
  }

  private reserveBytes(n: number): void {
    if (this.bytesUsed + n <= this.bytes.byteLength) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.byteLength * 2, this.bytesUsed + n));
    grown.set(this.bytes.subarray(0, this.bytesUsed));
    this.bytes = grown;
  }
}

/** The buffers of one column, as arrow.makeData takes them. */
interface ColumnParts {
  readonly type: arrow.DataType;
  readonly length: number;
  readonly nullCount?: number;
  readonly nullBitmap?: Uint8Array;
  readonly data?: ArrayBufferView;
  readonly valueOffsets?: Int32Array;
}

/** arrow.makeData's overloads want the type's own class; the parts were built for `type`. */
function makeColumn(parts: ColumnParts): AnyVector {
  const make = arrow.makeData as (props: ColumnParts) => arrow.Data;
  return arrow.makeVector(make(parts));
}

/** A column of text fields (CSV) as `type`. */
export function columnFromText(fields: readonly (string | null)[], type: arrow.DataType, origin: Origin): AnyVector {
  const b = new ColumnBuilder(type, fields.length, origin);
  for (const f of fields) {
    if (f === null) b.pushNull();
    else b.pushText(f);
  }
  return b.finish();
}

/**
 * A column of plain values as `type`. A typed array whose elements already are `type`'s (Float64Array
 * for Float64 ...) becomes the column without a copy.
 */
export function columnFromValues(values: ArrayLike<unknown>, type: arrow.DataType, origin: Origin, asText = false): AnyVector {
  if (!asText && ArrayBuffer.isView(values) && sameElements(values, type)) {
    return makeColumn({ type, length: values.length, data: values });
  }
  const b = new ColumnBuilder(type, values.length, origin);
  for (let i = 0; i < values.length; i++) {
    if (asText) b.pushAsText(values[i]);
    else b.pushValue(values[i]);
  }
  return b.finish();
}

/** An Arrow column as `type`: itself when it already is, else value by value. */
export function castVector(vector: AnyVector, type: arrow.DataType, origin: Origin, asText = false): AnyVector {
  if (!asText && sameType(vector.type, type)) return vector;
  const b = new ColumnBuilder(type, vector.length, origin);
  for (let i = 0; i < vector.length; i++) {
    const v: unknown = vector.get(i);
    if (asText) b.pushAsText(v);
    else b.pushValue(v);
  }
  return b.finish();
}

export function sameType(a: arrow.DataType, b: arrow.DataType): boolean {
  if (a.typeId !== b.typeId) return false;
  if (arrow.DataType.isInt(a) && arrow.DataType.isInt(b)) return a.bitWidth === b.bitWidth && a.isSigned === b.isSigned;
  if (arrow.DataType.isFloat(a) && arrow.DataType.isFloat(b)) return a.precision === b.precision;
  return arrow.DataType.isBool(a) || arrow.DataType.isUtf8(a) || arrow.DataType.isBinary(a);
}

function sameElements(values: ArrayBufferView, type: arrow.DataType): boolean {
  if (arrow.DataType.isFloat(type)) {
    return type.precision === arrow.Precision.DOUBLE ? values instanceof Float64Array : type.precision === arrow.Precision.SINGLE && values instanceof Float32Array;
  }
  if (!arrow.DataType.isInt(type)) return false;
  const expected = type.isSigned
    ? { 8: Int8Array, 16: Int16Array, 32: Int32Array, 64: BigInt64Array }[type.bitWidth]
    : { 8: Uint8Array, 16: Uint16Array, 32: Uint32Array, 64: BigUint64Array }[type.bitWidth];
  return values.constructor === expected;
}

/** The text of a value of a type V2 cannot carry: dates as ISO 8601, bytes as base64, the rest as written. */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'object' && value !== null) {
    const own = (value as { toString?: () => string }).toString;
    if (typeof own === 'function' && own !== Object.prototype.toString) return own.call(value);
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  }
  return String(value);
}

function describe(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return `'${clip(value)}'`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    default:
      return Array.isArray(value) ? 'a list' : `a ${typeof value === 'object' ? 'JSON object' : typeof value}`;
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 half-precision bits of a number (round to nearest even). */
export function toHalf(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  f32[0] = value;
  const x = u32[0] ?? 0;
  const sign = (x >>> 16) & 0x8000;
  let exp = ((x >>> 23) & 0xff) - 127 + 15;
  let mant = x & 0x7fffff;
  if (exp >= 0x1f) return sign | 0x7c00; // overflow -> infinity
  if (exp <= 0) {
    if (exp < -10) return sign; // underflow -> signed zero
    mant |= 0x800000;
    const shift = 14 - exp;
    const half = mant >> shift;
    const rest = mant & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    return sign | (rest > midpoint || (rest === midpoint && (half & 1) === 1) ? half + 1 : half);
  }
  const rest = mant & 0x1fff;
  mant >>= 13;
  if (rest > 0x1000 || (rest === 0x1000 && (mant & 1) === 1)) {
    mant++;
    if (mant === 0x400) {
      mant = 0;
      exp++;
      if (exp >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (exp << 10) | mant;
}
