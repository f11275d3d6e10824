/**
 * The fast path of the Parquet writer: a column of fixed-width values without nulls (float64,
 * float32, int32/uint32, int64/uint64) is written as PLAIN data pages (v2) straight from its Arrow
 * buffers. PLAIN is the values' little-endian bytes, which is what Arrow holds, so a page is one copy
 * of the column's bytes (none when the page lies in one Arrow chunk), never a pass over the values:
 * the same bytes hyparquet-writer would write, value for value (-0 and NaN payloads kept).
 *
 * Snappy: a page is compressed only when a sample of it shrinks; incompressible pages (random
 * floats, the usual model output) are stored as they are, marked `is_compressed: false` (a data page
 * v2 field every reader honours), instead of spending the time Snappy takes to find nothing.
 *
 * Columns of other types, or with nulls, go through hyparquet-writer (parquetWriter.ts decides).
 */
import * as arrow from 'apache-arrow';
import type { ByteWriter, ParquetWriter } from 'hyparquet-writer';

type ColumnChunk = ParquetWriter['row_groups'][number]['columns'][number];
type SchemaElement = ParquetWriter['schema'][number];

/** Largest page: 1 MiB of values, hyparquet-writer's page size. */
const PAGE_BYTES = 1024 * 1024;
/** A chunk's tail of at least this fraction of a page is a page of its own rather than copied into the next. */
const MIN_PAGE_FRACTION = 0.25;
/** Bytes of a page Snappy tries first; the page is compressed only when they shrink to COMPRESS_RATIO (by a fifth or more). */
const SAMPLE_BYTES = 64 * 1024;
const COMPRESS_RATIO = 0.8;

/** Where pages go: a hyparquet writer that can also take bytes without copying them into its buffer. */
export interface PageOut extends ByteWriter {
  /** Appends bytes as they are (flushes what is buffered first). */
  appendDirect(bytes: Uint8Array): void;
}

export type Compress = (input: Uint8Array) => Uint8Array;

/** The byte width of a column whose PLAIN encoding is its Arrow values buffer, else undefined. */
export function plainWidth(type: arrow.DataType): number | undefined {
  if (arrow.DataType.isFloat(type)) {
    if (type.precision === arrow.Precision.DOUBLE) return 8;
    if (type.precision === arrow.Precision.SINGLE) return 4;
    return undefined; // float16 is widened to FLOAT
  }
  if (arrow.DataType.isInt(type) && (type.bitWidth === 32 || type.bitWidth === 64)) return type.bitWidth / 8;
  return undefined; // 8- and 16-bit ints are widened to INT32; bools are bit-packed
}

/** True when `vector` can go through the fast path. */
export function fastColumn(vector: arrow.Vector | null): boolean {
  return vector !== null && vector.nullCount === 0 && plainWidth(vector.type as arrow.DataType) !== undefined;
}

export class FixedPageWriter {
  private scratch = new Uint8Array(0);

  constructor(
    private readonly out: PageOut,
    private readonly compress: Compress | undefined,
  ) {}

  /**
   * Writes one column chunk of `rows` values held in `chunks` (Arrow data of one fixed-width type,
   * no nulls, `rows` values in all); returns its metadata for the row group.
   */
  writeColumn(element: SchemaElement, chunks: readonly arrow.Data[], rows: number): ColumnChunk {
    const type = element.type;
    const width = chunks[0] ? plainWidth(chunks[0].type) : undefined;
    if (!type || width === undefined) throw new Error(`column '${element.name}': not a fixed-width column`);
    const optional = element.repetition_type === 'OPTIONAL';
    const out = this.out;
    const start = out.offset;
    let uncompressed = 0;
    const perPage = Math.max(1, Math.floor(PAGE_BYTES / width));
    const views = chunks.map((d) => {
      const values = d.values as Uint8Array;
      return new Uint8Array(values.buffer, values.byteOffset, d.length * width);
    });
    let chunk = 0;
    let at = 0; // bytes into views[chunk]
    for (let done = 0; done < rows; ) {
      while (views[chunk]?.byteLength === at && chunk < views.length - 1) {
        chunk++;
        at = 0;
      }
      // A page ends where its chunk ends when that leaves a big enough page: written from the chunk's
      // own memory (no copy). Small chunks are gathered into whole pages (one copy into scratch).
      const inChunk = Math.floor(((views[chunk]?.byteLength ?? 0) - at) / width);
      const n = Math.min(inChunk >= perPage * MIN_PAGE_FRACTION ? Math.min(perPage, inChunk) : perPage, rows - done);
      const page = this.take(views, n * width, chunk, at);
      ({ chunk, at } = page.next);
      const levels = optional ? allPresent(n) : undefined;
      const stored = this.maybeCompress(page.bytes);
      const compressed = stored !== page.bytes;
      const levelBytes = levels?.byteLength ?? 0;
      const header = pageHeader(n, levelBytes, page.bytes.byteLength, stored.byteLength, compressed);
      uncompressed += header.byteLength + levelBytes + page.bytes.byteLength;
      out.appendBytes(header);
      if (levels) out.appendBytes(levels);
      out.appendDirect(stored);
      done += n;
    }
    return {
      file_offset: BigInt(start),
      meta_data: {
        type,
        encodings: ['PLAIN'],
        path_in_schema: [element.name],
        codec: this.compress ? 'SNAPPY' : 'UNCOMPRESSED',
        num_values: BigInt(rows),
        total_uncompressed_size: BigInt(uncompressed),
        total_compressed_size: BigInt(out.offset - start),
        data_page_offset: BigInt(start),
      },
    };
  }

  /** `bytes` bytes from the views starting at (chunk, at): a view when they lie in one chunk, else a copy. */
  private take(views: readonly Uint8Array[], bytes: number, chunk: number, at: number): { bytes: Uint8Array; next: { chunk: number; at: number } } {
    let c = chunk;
    let a = at;
    const first = views[c];
    if (first && first.byteLength - a >= bytes) {
      const page = first.subarray(a, a + bytes);
      a += bytes;
      if (a === first.byteLength) {
        c++;
        a = 0;
      }
      return { bytes: page, next: { chunk: c, at: a } };
    }
    if (this.scratch.byteLength < bytes) this.scratch = new Uint8Array(Math.max(bytes, PAGE_BYTES));
    const page = this.scratch.subarray(0, bytes);
    let filled = 0;
    while (filled < bytes) {
      const view = views[c];
      if (!view) throw new Error(`a column holds ${filled} bytes, not the ${bytes} its rows need`);
      const n = Math.min(bytes - filled, view.byteLength - a);
      page.set(view.subarray(a, a + n), filled);
      filled += n;
      a += n;
      if (a === view.byteLength) {
        c++;
        a = 0;
      }
    }
    return { bytes: page, next: { chunk: c, at: a } };
  }

  /** The page Snappy-compressed when that pays (judged on a sample), else the page itself. */
  private maybeCompress(page: Uint8Array): Uint8Array {
    const compress = this.compress;
    if (!compress || page.byteLength === 0) return page;
    if (page.byteLength > 2 * SAMPLE_BYTES) {
      const sample = page.subarray(0, SAMPLE_BYTES);
      if (compress(sample).byteLength > sample.byteLength * COMPRESS_RATIO) return page;
    }
    const compressed = compress(page);
    return compressed.byteLength < page.byteLength * COMPRESS_RATIO ? compressed : page;
  }
}

/**
 * A PageHeader (Thrift compact protocol) of a DATA_PAGE_V2 of `n` PLAIN values, no nulls, no
 * repetition levels: type (1) = 3, uncompressed_page_size (2), compressed_page_size (3),
 * data_page_header_v2 (8) = { num_values (1), num_nulls (2), num_rows (3), encoding (4) = PLAIN,
 * definition_levels_byte_length (5), repetition_levels_byte_length (6), is_compressed (7) }.
 */
export function pageHeader(n: number, levelBytes: number, rawBytes: number, storedBytes: number, compressed: boolean): Uint8Array {
  const bytes: number[] = [];
  const i32 = (delta: number, value: number): void => {
    bytes.push((delta << 4) | 5);
    varint(bytes, value * 2); // zigzag of a value >= 0
  };
  i32(1, 3); // DATA_PAGE_V2
  i32(1, levelBytes + rawBytes);
  i32(1, levelBytes + storedBytes);
  bytes.push((5 << 4) | 12); // field 8: struct
  i32(1, n);
  i32(1, 0);
  i32(1, n);
  i32(1, 0); // PLAIN
  i32(1, levelBytes);
  i32(1, 0);
  bytes.push((1 << 4) | (compressed ? 1 : 2)); // field 7: bool
  bytes.push(0, 0); // end of data_page_header_v2, end of PageHeader
  return Uint8Array.from(bytes);
}

function varint(bytes: number[], value: number): void {
  let v = value;
  while (v >= 0x80) {
    bytes.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  bytes.push(v);
}

/** Definition levels of `n` present values (max level 1): one RLE run of 1s (bit width 1). */
function allPresent(n: number): Uint8Array {
  const bytes: number[] = [];
  varint(bytes, n * 2); // run length << 1, low bit 0: an RLE run
  bytes.push(1); // the value, in one byte (bit width 1)
  return Uint8Array.from(bytes);
}
