/**
 * The fast path of the Parquet reader: a row group whose columns asked for are all PLAIN-encoded
 * 32/64-bit numbers of exactly the type asked for (DOUBLE -> float64, FLOAT -> float32, INT32/INT64
 * -> int32/int64, UINT_32/UINT_64 -> uint32/uint64), without nulls, uncompressed or Snappy, is read
 * column chunk by column chunk into one reused buffer, and each page's values are copied (or
 * Snappy-decoded) straight into the column's typed array: one pass of memcpy, no per-value work,
 * no intermediate arrays. PLAIN is the values' little-endian bytes, so the values are the ones
 * hyparquet would decode, bit for bit. Column memory the consumer hands back (batch prediction,
 * once a batch's rows are written out) is where the next row groups are decoded.
 *
 * Anything else (dictionary pages, other encodings, nulls, data page v1 with definition levels,
 * other codecs, conversions) returns undefined and parquet.ts reads the row group through hyparquet.
 */
import * as arrow from 'apache-arrow';
import { snappyUncompress, type FileMetaData, type SchemaElement } from 'hyparquet';
import type { ColumnRead } from './fields';
import type { AnyVector } from './columnBuilder';
import { SpareBuffers } from '../shared/spareBuffers';

type RowGroup = FileMetaData['row_groups'][number];

/** Reads `length` bytes at `position` of the file into `into` (from its start). */
export type ReadAt = (into: Uint8Array, position: number, length: number) => Promise<void>;

interface FixedType {
  readonly physical: 'DOUBLE' | 'FLOAT' | 'INT32' | 'INT64';
  readonly width: number;
  readonly make: (buffer: ArrayBuffer, rows: number) => AnyVector;
}

function fixedType(type: arrow.DataType): FixedType | undefined {
  const of = (
    physical: FixedType['physical'],
    Ctor: new (b: ArrayBuffer, o: number, n: number) => Float64Array | Float32Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array,
    width: number,
  ): FixedType => ({ physical, width, make: (buffer, rows) => arrow.makeVector(new Ctor(buffer, 0, rows)) as AnyVector });
  if (arrow.DataType.isFloat(type)) {
    if (type.precision === arrow.Precision.DOUBLE) return of('DOUBLE', Float64Array, 8);
    if (type.precision === arrow.Precision.SINGLE) return of('FLOAT', Float32Array, 4);
    return undefined;
  }
  if (arrow.DataType.isInt(type)) {
    if (type.bitWidth === 32) return type.isSigned ? of('INT32', Int32Array, 4) : of('INT32', Uint32Array, 4);
    if (type.bitWidth === 64) return type.isSigned ? of('INT64', BigInt64Array, 8) : of('INT64', BigUint64Array, 8);
  }
  return undefined;
}

/** True when the column's schema says its values are exactly `type`, stored as `physical`. */
function sameType(e: SchemaElement, fixed: FixedType, type: arrow.DataType): boolean {
  if (e.type !== fixed.physical) return false;
  const logical = e.logical_type;
  if (arrow.DataType.isFloat(type)) return logical === undefined && e.converted_type === undefined;
  if (!arrow.DataType.isInt(type)) return false;
  if (logical) return logical.type === 'INTEGER' && logical.bitWidth === type.bitWidth && logical.isSigned === type.isSigned;
  const converted = e.converted_type;
  if (converted === undefined) return type.isSigned;
  return converted === `${type.isSigned ? 'INT' : 'UINT'}_${type.bitWidth}`;
}

/** Most bytes of column memory handed back (FastGroup.release) that a reader keeps for its next row groups. */
const SPARE_BYTES = 64 * 2 ** 20;

/** A row group's columns, and how to hand their memory back once nothing holds a view of them. */
export interface FastGroup {
  readonly columns: AnyVector[];
  /** The next row groups are decoded into this memory; later calls do nothing. */
  readonly release: () => void;
}

export class FastGroupReader {
  private buffer = new Uint8Array(0);
  /** Column memory handed back: decoding into memory already touched spares its page faults. */
  private readonly spare = new SpareBuffers(SPARE_BYTES, (n) => new ArrayBuffer(n));

  constructor(
    private readonly readAt: ReadAt,
    private readonly metadata: FileMetaData,
  ) {}

  /** The row group's columns, or undefined when any of them needs the general reader. */
  async read(group: RowGroup, columns: readonly ColumnRead[]): Promise<FastGroup | undefined> {
    const rows = Number(group.num_rows);
    const plans = columns.map((c) => this.plan(group, c));
    if (plans.some((p) => p === undefined)) return undefined;
    const out: AnyVector[] = [];
    const taken: ArrayBuffer[] = [];
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      for (const b of taken) this.spare.giveBack(b);
    };
    for (const plan of plans) {
      if (!plan) return undefined;
      const { fixed, start, length, optional, snappy } = plan;
      const values = this.spare.take(rows * fixed.width);
      taken.push(values);
      if (!(await this.decode(start, length, optional, snappy, new Uint8Array(values), rows))) {
        release();
        return undefined;
      }
      out.push(fixed.make(values, rows));
    }
    return { columns: out, release };
  }

  private plan(group: RowGroup, c: ColumnRead): { fixed: FixedType; start: number; length: number; optional: boolean; snappy: boolean } | undefined {
    if (c.asText === true) return undefined;
    const fixed = fixedType(c.type);
    if (!fixed) return undefined;
    const element = this.metadata.schema.find((e, i) => i > 0 && e.name === c.name && e.num_children === undefined);
    if (!element || !sameType(element, fixed, c.type)) return undefined;
    if (element.repetition_type === 'REPEATED') return undefined;
    const chunk = group.columns.find((col) => col.meta_data?.path_in_schema.length === 1 && col.meta_data.path_in_schema[0] === c.name);
    const meta = chunk?.meta_data;
    if (!meta || meta.dictionary_page_offset !== undefined) return undefined;
    if (meta.codec !== 'UNCOMPRESSED' && meta.codec !== 'SNAPPY') return undefined;
    if (!meta.encodings.every((e) => e === 'PLAIN' || e === 'RLE' || e === 'BIT_PACKED')) return undefined;
    return {
      fixed,
      start: Number(meta.data_page_offset),
      length: Number(meta.total_compressed_size),
      optional: element.repetition_type === 'OPTIONAL',
      snappy: meta.codec === 'SNAPPY',
    };
  }

  /** Decodes the chunk's pages into `out` (exactly `rows` values); false when a page is not simple. */
  private async decode(start: number, length: number, optional: boolean, snappy: boolean, out: Uint8Array, rows: number): Promise<boolean> {
    if (this.buffer.byteLength < length) this.buffer = new Uint8Array(Math.max(length, this.buffer.byteLength * 2));
    const bytes = this.buffer.subarray(0, length);
    await this.readAt(bytes, start, length);
    const width = out.byteLength / Math.max(1, rows);
    let at = 0;
    let filled = 0;
    while (filled < out.byteLength) {
      if (at >= length) return false;
      const page = readPageHeader(bytes, at);
      if (!page) return false;
      const body = bytes.subarray(page.end, page.end + page.compressedSize);
      at = page.end + page.compressedSize;
      if (body.byteLength !== page.compressedSize) return false;
      let values: Uint8Array;
      let compressed = snappy;
      let uncompressedSize = page.uncompressedSize;
      if (page.type === 0 && page.v1) {
        // DATA_PAGE: levels and values compressed together; only REQUIRED columns have no levels.
        if (optional || page.v1.encoding !== 0) return false;
        values = body;
      } else if (page.type === 3 && page.v2) {
        const v2 = page.v2;
        if (v2.encoding !== 0 || v2.numNulls !== 0 || v2.numValues !== v2.numRows) return false;
        const levels = v2.definitionBytes + v2.repetitionBytes;
        values = body.subarray(levels);
        uncompressedSize -= levels;
        compressed = snappy && v2.isCompressed;
      } else {
        return false;
      }
      const count = page.type === 3 ? (page.v2?.numValues ?? 0) : (page.v1?.numValues ?? 0);
      const need = count * width;
      if (filled + need > out.byteLength || uncompressedSize !== need) return false;
      const target = out.subarray(filled, filled + need);
      if (compressed) snappyUncompress(values, target);
      else if (values.byteLength === need) target.set(values);
      else return false;
      filled += need;
    }
    return filled === out.byteLength;
  }
}

// ---------------------------------------------------------------------------------------------
// PageHeader, Thrift compact protocol: the fields the fast path needs, the rest skipped.

interface PageHeader {
  readonly type: number;
  readonly uncompressedSize: number;
  readonly compressedSize: number;
  readonly v1?: { readonly numValues: number; readonly encoding: number };
  readonly v2?: {
    readonly numValues: number;
    readonly numNulls: number;
    readonly numRows: number;
    readonly encoding: number;
    readonly definitionBytes: number;
    readonly repetitionBytes: number;
    readonly isCompressed: boolean;
  };
  /** Where the page's body starts. */
  readonly end: number;
}

type ThriftValue = number | boolean | Map<number, ThriftValue> | undefined;

/** The page header at `at`, or undefined when the bytes are not one. */
export function readPageHeader(bytes: Uint8Array, at: number): PageHeader | undefined {
  const reader = { bytes, at };
  let fields: Map<number, ThriftValue>;
  try {
    fields = readStruct(reader);
  } catch {
    return undefined;
  }
  const num = (m: Map<number, ThriftValue> | undefined, id: number): number => {
    const v = m?.get(id);
    return typeof v === 'number' ? v : -1;
  };
  const sub = (id: number): Map<number, ThriftValue> | undefined => {
    const v = fields.get(id);
    return v instanceof Map ? v : undefined;
  };
  const d1 = sub(5);
  const d2 = sub(8);
  const compressedFlag = d2?.get(7);
  return {
    type: num(fields, 1),
    uncompressedSize: num(fields, 2),
    compressedSize: num(fields, 3),
    ...(d1 ? { v1: { numValues: num(d1, 1), encoding: num(d1, 2) } } : {}),
    ...(d2
      ? {
          v2: {
            numValues: num(d2, 1),
            numNulls: num(d2, 2),
            numRows: num(d2, 3),
            encoding: num(d2, 4),
            definitionBytes: num(d2, 5),
            repetitionBytes: num(d2, 6),
            isCompressed: compressedFlag !== false,
          },
        }
      : {}),
    end: reader.at,
  };
}

interface Reader {
  readonly bytes: Uint8Array;
  at: number;
}

function byte(r: Reader): number {
  const b = r.bytes[r.at++];
  if (b === undefined) throw new RangeError('the page header runs past the column chunk');
  return b;
}

function varint(r: Reader): number {
  let result = 0;
  let scale = 1;
  for (;;) {
    const b = byte(r);
    result += (b & 0x7f) * scale;
    if (b < 0x80) return result;
    scale *= 0x80;
    if (scale > 2 ** 63) throw new RangeError('a varint is too long');
  }
}

function zigzag(r: Reader): number {
  const n = varint(r);
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

/** Struct fields by id: integers and bools as values, nested structs as maps, the rest skipped. */
function readStruct(r: Reader): Map<number, ThriftValue> {
  const fields = new Map<number, ThriftValue>();
  let id = 0;
  for (;;) {
    const head = byte(r);
    if (head === 0) return fields;
    const delta = head >> 4;
    id = delta === 0 ? zigzag(r) : id + delta;
    fields.set(id, readValue(r, head & 0x0f));
  }
}

function readValue(r: Reader, type: number): ThriftValue {
  switch (type) {
    case 1: return true;
    case 2: return false;
    case 3: return byte(r);
    case 4: case 5: case 6: return zigzag(r);
    case 7: r.at += 8; return undefined;
    case 8: r.at += varint(r); return undefined;
    case 9: case 10: {
      const head = byte(r);
      const size = head >> 4 === 15 ? varint(r) : head >> 4;
      const element = head & 0x0f;
      for (let i = 0; i < size; i++) {
        if (element === 1 || element === 2) r.at++;
        else readValue(r, element);
      }
      return undefined;
    }
    case 11: {
      const size = varint(r);
      if (size === 0) return undefined;
      const kinds = byte(r);
      for (let i = 0; i < size; i++) {
        readValue(r, kinds >> 4);
        readValue(r, kinds & 0x0f);
      }
      return undefined;
    }
    case 12: return readStruct(r);
    default: throw new RangeError(`unknown Thrift type ${type}`);
  }
}
