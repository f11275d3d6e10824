/**
 * Builds one Arrow column of a V2 datatype from texts or values, straight into typed arrays (no
 * intermediate JS arrays for numbers), with Arrow nulls for missing values. Used by the grid, the
 * CSV/JSON/Parquet loaders and tensor text.
 */
import * as arrow from 'apache-arrow';
import type { V2Datatype } from '../model/dtypes';
import type { AnyVector } from '../protocol/arrowCodec';
import { parseCell, type CellValue } from '../shared/panelValues';

type Fixed = Exclude<V2Datatype, 'BOOL' | 'BYTES'>;
type NumArray = Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | Float32Array | Float64Array;
type BigArray = BigInt64Array | BigUint64Array;

const CTOR: Readonly<Record<Fixed, new (n: number) => NumArray | BigArray>> = {
  INT8: Int8Array, INT16: Int16Array, INT32: Int32Array, INT64: BigInt64Array,
  UINT8: Uint8Array, UINT16: Uint16Array, UINT32: Uint32Array, UINT64: BigUint64Array,
  FP16: Float32Array, FP32: Float32Array, FP64: Float64Array,
};

const SIMPLE_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const encoder = new TextEncoder();

export class ColumnBuilder {
  private length = 0;
  private nulls = 0;
  private valid: Uint8Array;
  private fixed: NumArray | BigArray | undefined;
  private bytes: Uint8Array | undefined;
  private offsets: Int32Array | undefined;
  private bytesUsed = 0;
  /** Set once a value came as bytes: the column is Binary, not Utf8. */
  private binary = false;

  constructor(
    readonly name: string,
    readonly datatype: V2Datatype,
    capacity = 1024,
  ) {
    const n = Math.max(16, capacity);
    this.valid = new Uint8Array(n);
    if (datatype === 'BYTES') {
      this.offsets = new Int32Array(n + 1);
      this.bytes = new Uint8Array(n * 8);
    } else if (datatype === 'BOOL') {
      this.fixed = new Uint8Array(n);
    } else {
      this.fixed = new CTOR[datatype](n);
    }
  }

  get rows(): number {
    return this.length;
  }

  /** Appends a cell's text; returns the problem (and appends a missing value) when it is not valid. */
  appendText(text: string | null): string | undefined {
    if (text !== null && this.datatype === 'FP64' && SIMPLE_NUMBER.test(text)) {
      this.appendValue(Number(text));
      return undefined;
    }
    const r = parseCell(this.datatype, text);
    if (!r.ok) {
      this.appendValue(null);
      return r.error;
    }
    this.appendValue(r.value);
    return undefined;
  }

  /**
   * Appends a value that already has the column's kind (number, bigint for 64-bit ints, boolean,
   * string, null). Bytes (Uint8Array) make a BYTES column Binary instead of Utf8.
   */
  appendValue(value: CellValue | Uint8Array): void {
    this.grow(this.length + 1);
    const i = this.length++;
    if (value === null) {
      this.nulls++;
      this.valid[i] = 0;
      if (this.offsets) this.offsets[i + 1] = this.bytesUsed;
      return;
    }
    this.valid[i] = 1;
    if (this.offsets) {
      if (value instanceof Uint8Array) this.binary = true;
      const b = typeof value === 'string' ? encoder.encode(value) : value instanceof Uint8Array ? value : encoder.encode(String(value));
      this.growBytes(this.bytesUsed + b.byteLength);
      this.bytes?.set(b, this.bytesUsed);
      this.bytesUsed += b.byteLength;
      this.offsets[i + 1] = this.bytesUsed;
      return;
    }
    const f = this.fixed;
    if (!f) return;
    if (f instanceof BigInt64Array || f instanceof BigUint64Array) {
      f[i] = typeof value === 'bigint' ? value : BigInt(typeof value === 'boolean' ? Number(value) : Math.trunc(Number(value)));
    } else {
      f[i] = typeof value === 'bigint' || typeof value === 'boolean' ? Number(value) : Number(value);
    }
  }

  finish(): AnyVector {
    const n = this.length;
    const nullBitmap = this.nulls > 0 ? packBits(this.valid, n) : undefined;
    const common = { length: n, nullCount: this.nulls, ...(nullBitmap ? { nullBitmap } : {}) };
    if (this.offsets && this.bytes) {
      const valueOffsets = this.offsets.slice(0, n + 1);
      const data = this.bytes.slice(0, this.bytesUsed);
      return this.binary
        ? arrow.makeVector(arrow.makeData({ type: new arrow.Binary(), ...common, valueOffsets, data }))
        : arrow.makeVector(arrow.makeData({ type: new arrow.Utf8(), ...common, valueOffsets, data }));
    }
    const f = this.fixed;
    if (!f) throw new Error('no column storage');
    if (this.datatype === 'BOOL') {
      return arrow.makeVector(arrow.makeData({ type: new arrow.Bool(), ...common, data: packBits(f as Uint8Array, n) }));
    }
    if (this.datatype === 'FP16') {
      const half = new Uint16Array(n);
      const src = f as Float32Array;
      for (let i = 0; i < n; i++) half[i] = toHalf(src[i] ?? 0);
      return arrow.makeVector(arrow.makeData({ type: new arrow.Float16(), ...common, data: half }));
    }
    const values = f.slice(0, n);
    const base = arrow.makeVector(values);
    const [data] = base.data;
    if (!nullBitmap || !data) return base;
    return arrow.makeVector(data.clone(data.type, 0, n, this.nulls, { ...data.buffers, [arrow.BufferType.VALIDITY]: nullBitmap }));
  }

  private grow(n: number): void {
    if (n <= this.valid.length) return;
    const size = Math.max(n, this.valid.length * 2);
    const valid = new Uint8Array(size);
    valid.set(this.valid);
    this.valid = valid;
    if (this.offsets) {
      const offsets = new Int32Array(size + 1);
      offsets.set(this.offsets);
      this.offsets = offsets;
    }
    if (this.fixed) {
      const Ctor = this.fixed.constructor as new (n: number) => NumArray | BigArray;
      const fixed = new Ctor(size);
      (fixed as Float64Array).set(this.fixed as Float64Array);
      this.fixed = fixed;
    }
  }

  private growBytes(n: number): void {
    if (!this.bytes || n <= this.bytes.length) return;
    if (n > 2 ** 31 - 1) throw new Error(`column '${this.name}' holds more than 2 GiB of text`);
    const bytes = new Uint8Array(Math.min(2 ** 31 - 1, Math.max(n, this.bytes.length * 2)));
    bytes.set(this.bytes.subarray(0, this.bytesUsed));
    this.bytes = bytes;
  }
}

function packBits(bytes: Uint8Array, n: number): Uint8Array {
  const bits = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) if (bytes[i]) bits[i >> 3] = (bits[i >> 3] ?? 0) | (1 << (i & 7));
  return bits;
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
