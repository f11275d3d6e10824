/**
 * Values of the input -> Arrow columns of the type the run reads them as.
 *
 *  - text (CSV): `1.5`, `NaN`, `inf`; integers in decimal; `true`/`false`/`1`/`0`; an empty field is
 *    a missing value in numeric and bool columns and an empty string in text columns.
 *  - plain values (JSON lines, Parquet as hyparquet decodes it, DuckDB): numbers, bigints, booleans,
 *    strings, bytes, null. A typed array of the right element type becomes the column as it is.
 *  - Arrow vectors (Arrow IPC files): kept as they are when the type is the same, else cast.
 * A value that does not fit names its row (one-based, as people count data rows) and column.
 */
import * as arrow from 'apache-arrow';
import { arrowTypeName } from './columns';
import { InputError } from './errors';

export type AnyVector = arrow.Vector<arrow.DataType>;

/** Where a column's values start in the input, for messages: row `rowStart + i + 1`. */
export interface Origin {
  readonly column: string;
  readonly rowStart: number;
}

type Kind = 'bool' | 'int' | 'bigint' | 'float' | 'utf8' | 'binary';

/** How values of an Arrow type are stored (the types a run reads: V2's, plus Utf8 for text keys). */
function kindOf(type: arrow.DataType): { kind: Kind; Array?: NumberArrayCtor | BigArrayCtor; min?: number | bigint; max?: number | bigint } {
  if (arrow.DataType.isBool(type)) return { kind: 'bool' };
  if (arrow.DataType.isUtf8(type)) return { kind: 'utf8' };
  if (arrow.DataType.isBinary(type)) return { kind: 'binary' };
  if (arrow.DataType.isFloat(type)) {
    if (type.precision === arrow.Precision.HALF) return { kind: 'float', Array: Uint16Array };
    return { kind: 'float', Array: type.precision === arrow.Precision.SINGLE ? Float32Array : Float64Array };
  }
  if (arrow.DataType.isInt(type)) {
    const bits = type.bitWidth;
    if (bits === 64) {
      return type.isSigned
        ? { kind: 'bigint', Array: BigInt64Array, min: -(2n ** 63n), max: 2n ** 63n - 1n }
        : { kind: 'bigint', Array: BigUint64Array, min: 0n, max: 2n ** 64n - 1n };
    }
    const Array = type.isSigned ? ({ 8: Int8Array, 16: Int16Array, 32: Int32Array } as const)[bits] : ({ 8: Uint8Array, 16: Uint16Array, 32: Uint32Array } as const)[bits];
    return type.isSigned
      ? { kind: 'int', Array, min: -(2 ** (bits - 1)), max: 2 ** (bits - 1) - 1 }
      : { kind: 'int', Array, min: 0, max: 2 ** bits - 1 };
  }
  throw new Error(`cannot read a column as ${arrowTypeName(type)}`);
}

type NumberArrayCtor = Int8ArrayConstructor | Int16ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor | Uint16ArrayConstructor | Uint32ArrayConstructor | Float32ArrayConstructor | Float64ArrayConstructor;
type BigArrayCtor = BigInt64ArrayConstructor | BigUint64ArrayConstructor;

/** Builds one Arrow column value by value. */
export class ColumnBuilder {
  private readonly kind: Kind;
  private readonly numbers: Float64Array | Float32Array | Uint16Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint32Array | undefined;
  private readonly bigints: BigInt64Array | BigUint64Array | undefined;
  private readonly bools: Uint8Array | undefined;
  private readonly min: number | bigint | undefined;
  private readonly max: number | bigint | undefined;
  private readonly half: boolean;
  private validity: Uint8Array | undefined;
  private nulls = 0;
  private bytes: Buffer = Buffer.alloc(0);
  private bytesUsed = 0;
  private readonly offsets: Int32Array | undefined;
  private length = 0;

  constructor(
    readonly type: arrow.DataType,
    readonly capacity: number,
    private readonly origin: Origin,
  ) {
    const k = kindOf(type);
    this.kind = k.kind;
    this.min = k.min;
    this.max = k.max;
    this.half = arrow.DataType.isFloat(type) && type.precision === arrow.Precision.HALF;
    if (k.kind === 'bigint') this.bigints = new (k.Array as BigArrayCtor)(capacity);
    else if (k.kind === 'int' || k.kind === 'float') this.numbers = new (k.Array as NumberArrayCtor)(capacity);
    else if (k.kind === 'bool') this.bools = new Uint8Array((capacity + 7) >> 3);
    else {
      this.offsets = new Int32Array(capacity + 1);
      this.bytes = Buffer.allocUnsafe(Math.max(64, capacity * 8));
    }
  }

  /** Appends a missing value. */
  pushNull(): void {
    const i = this.length++;
    this.validity ??= new Uint8Array((this.capacity + 7) >> 3).fill(0xff);
    this.validity[i >> 3] = (this.validity[i >> 3] ?? 0) & ~(1 << (i & 7));
    this.nulls++;
    if (this.offsets) this.offsets[i + 1] = this.bytesUsed;
  }

  /** Appends a value given as text (a CSV field). */
  pushText(text: string): void {
    switch (this.kind) {
      case 'utf8':
        this.pushString(text);
        return;
      case 'binary':
        this.pushBytes(Buffer.from(text, 'utf8'));
        return;
      default:
        break;
    }
    const t = text.trim();
    if (t === '') {
      this.pushNull();
      return;
    }
    switch (this.kind) {
      case 'float': {
        const v = parseFloatText(t);
        if (v === undefined) throw this.problem(`'${short(text)}' is not a number`);
        this.pushFloat(v);
        return;
      }
      case 'int':
      case 'bigint': {
        if (!/^[+-]?\d+$/.test(t)) throw this.problem(`'${short(text)}' is not a whole number`);
        this.pushInteger(BigInt(t));
        return;
      }
      case 'bool': {
        const b = parseBool(t);
        if (b === undefined) throw this.problem(`'${short(text)}' is not true, false, 1 or 0`);
        this.pushBool(b);
        return;
      }
    }
  }

  /** Appends a plain value (JSON, Parquet, DuckDB); null and undefined are missing values. */
  pushValue(value: unknown): void {
    if (value === null || value === undefined) {
      this.pushNull();
      return;
    }
    switch (this.kind) {
      case 'float':
        if (typeof value === 'number') this.pushFloat(value);
        else if (typeof value === 'bigint') this.pushFloat(Number(value));
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

  /** Appends any value as text (key columns whose type has no V2 datatype: dates, decimals ...). */
  pushAsText(value: unknown): void {
    if (value === null || value === undefined) this.pushNull();
    else this.pushString(textOf(value));
  }

  finish(): AnyVector {
    const length = this.length;
    const nullBitmap = this.nulls > 0 ? this.validity?.subarray(0, (length + 7) >> 3) : undefined;
    const common = { length, nullCount: this.nulls, ...(nullBitmap ? { nullBitmap } : {}) };
    const fixed = this.numbers ?? this.bigints;
    if (fixed) return makeColumn({ type: this.type, ...common, data: fixed.subarray(0, length) });
    if (this.bools) return makeColumn({ type: this.type, ...common, data: this.bools });
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

  private pushFloat(v: number): void {
    const numbers = this.numbers;
    if (!numbers) return;
    numbers[this.length++] = this.half ? toHalf(v) : v;
  }

  private pushInteger(v: bigint): void {
    const min = this.min as bigint | number;
    const max = this.max as bigint | number;
    if (v < BigInt(min) || v > BigInt(max)) throw this.problem(`${v} is out of range (${min} to ${max})`);
    if (this.bigints) this.bigints[this.length++] = v;
    else if (this.numbers) this.numbers[this.length++] = Number(v);
  }

  private pushBool(b: boolean): void {
    const bools = this.bools;
    if (!bools) return;
    const i = this.length++;
    if (b) bools[i >> 3] = (bools[i >> 3] ?? 0) | (1 << (i & 7));
  }

  private pushString(s: string): void {
    // At most 3 bytes per UTF-16 unit.
    this.reserve(s.length * 3);
    const written = this.bytes.write(s, this.bytesUsed, 'utf8');
    this.bytesUsed += written;
    this.endElement();
  }

  private pushBytes(b: Uint8Array): void {
    this.reserve(b.byteLength);
    this.bytes.set(b, this.bytesUsed);
    this.bytesUsed += b.byteLength;
    this.endElement();
  }

  private endElement(): void {
    if (this.bytesUsed > 0x7fffffff) throw this.problem('the batch holds over 2 GiB of text; lower the rows per batch');
    const offsets = this.offsets;
    if (offsets) offsets[++this.length] = this.bytesUsed;
  }

  private reserve(n: number): void {
    if (this.bytesUsed + n <= this.bytes.byteLength) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.byteLength * 2, this.bytesUsed + n));
    grown.set(this.bytes.subarray(0, this.bytesUsed));
    this.bytes = grown;
  }
}

/** The buffers of one column, as arrow.makeData takes them for the types a run reads. */
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

/** An Arrow column (Arrow IPC input) as `type`: itself when it already is, else value by value. */
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

/** A float in text: decimal or scientific, `nan`, `inf`, `-inf`, `infinity` (any case). */
export function parseFloatText(t: string): number | undefined {
  const s = t.trim();
  const lower = s.toLowerCase();
  if (lower === 'nan' || lower === '+nan' || lower === '-nan') return NaN;
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity' || lower === '+infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return undefined;
  return Number(s);
}

function parseBool(t: string): boolean | undefined {
  switch (t.toLowerCase()) {
    case 'true': case '1': return true;
    case 'false': case '0': return false;
    default: return undefined;
  }
}

/** The text of a value of a type V2 cannot carry (a key column): dates as ISO 8601, the rest as written. */
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
      return `'${short(value)}'`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    default:
      return Array.isArray(value) ? 'a list' : `a ${typeof value === 'object' ? 'JSON object' : typeof value}`;
  }
}

function short(s: string): string {
  return s.length <= 40 ? s : `${s.slice(0, 37)}...`;
}

/** IEEE 754 half precision bits of a number (round to nearest even). */
function toHalf(v: number): number {
  const f32 = new Float32Array([v]);
  const bits = new Uint32Array(f32.buffer)[0] ?? 0;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = (mant | 0x800000) >> (1 - e);
    return sign | ((m + 0x1000 + ((m >> 13) & 1) - 1) >> 13);
  }
  const rounded = (e << 10) | (mant >> 13);
  const rest = mant & 0x1fff;
  return sign | (rest > 0x1000 || (rest === 0x1000 && (rounded & 1)) ? rounded + 1 : rounded);
}
