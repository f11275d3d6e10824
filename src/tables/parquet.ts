/**
 * Parquet input through hyparquet (pure JavaScript, no native code), one row group at a time: memory
 * holds one row group of the columns asked for, whatever the file's size. Snappy, gzip, zstd,
 * brotli and lz4 pages are read (hyparquet-compressors).
 *
 * Row groups of plain 32/64-bit number columns without nulls (the usual batch input) take the fast
 * path of parquetFast.ts: the values are copied straight from the file into the columns.
 *
 * Types: BOOLEAN, INT32/INT64 (with their INT_8 ... UINT_64 annotations), FLOAT, DOUBLE and
 * BYTE_ARRAY (strings when annotated UTF8/STRING, else bytes) map to V2 datatypes; dates,
 * timestamps, decimals and nested columns do not (they can still be key columns, as text).
 */
import * as arrow from 'apache-arrow';
import { promises as fs } from 'fs';
import { parquetMetadataAsync, parquetRead, parquetSchema, type AsyncBuffer, type DecodedArray, type FileMetaData, type SchemaElement } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { ColumnRead, SourceField, SourceType } from './fields';
import { columnFromValues } from './columnBuilder';
import { InputError } from './errors';
import { FastGroupReader, type ReadAt } from './parquetFast';
import type { TableSource, SourceChunk } from './source';

export async function openParquet(file: string): Promise<TableSource> {
  const handle = await fs.open(file, 'r');
  try {
    const buffer = await fileBuffer(handle);
    let metadata: FileMetaData;
    try {
      metadata = await parquetMetadataAsync(buffer);
    } catch (err) {
      throw new InputError(`${file} is not a Parquet file (${err instanceof Error ? err.message : String(err)})`);
    }
    const fields = parquetSchema(metadata).children.map((child): SourceField => {
      const element = child.element;
      const type = child.children.length > 0 ? { kind: 'unsupported' as const, typeName: 'a nested column' } : sourceType(element);
      return { name: element.name, type, typeName: `${parquetTypeName(element)} (Parquet)` };
    });
    const totalRows = Number(metadata.num_rows);
    const fast = new FastGroupReader(readAt(handle, file), metadata);
    return {
      description: file,
      fields,
      totalRows,
      chunks: (columns, signal) => chunks(buffer, fast, metadata, totalRows, columns, signal),
      close: () => handle.close(),
    };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** Reads slices of an open file: one handle for the whole read, no stream per slice. */
async function fileBuffer(handle: fs.FileHandle): Promise<AsyncBuffer> {
  const { size } = await handle.stat();
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = Math.min(end ?? size, size);
      const out = new Uint8Array(Math.max(0, stop - start));
      let at = 0;
      while (at < out.byteLength) {
        const { bytesRead } = await handle.read(out, at, out.byteLength - at, start + at);
        if (bytesRead === 0) throw new InputError(`the file ended at byte ${start + at}, before the ${out.byteLength} bytes asked for`);
        at += bytesRead;
      }
      return out.buffer;
    },
  };
}

/** Reads into a caller's buffer (the fast path reuses one). */
function readAt(handle: fs.FileHandle, file: string): ReadAt {
  return async (into, position, length) => {
    let at = 0;
    while (at < length) {
      const { bytesRead } = await handle.read(into, at, length - at, position + at);
      if (bytesRead === 0) throw new InputError(`${file} ended at byte ${position + at}, inside a column chunk`);
      at += bytesRead;
    }
  };
}

async function* chunks(
  file: AsyncBuffer,
  fast: FastGroupReader,
  metadata: FileMetaData,
  totalRows: number,
  columns: readonly ColumnRead[],
  signal?: AbortSignal,
): AsyncGenerator<SourceChunk> {
  const names = columns.map((c) => c.name);
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    if (signal?.aborted) return;
    const rows = Number(group.num_rows);
    const groupEnd = groupStart + rows;
    const fraction = totalRows > 0 ? groupEnd / totalRows : 1;
    const direct = await fast.read(group, columns);
    if (direct) {
      yield { columns: direct.columns, rows, fraction, release: direct.release };
      groupStart = groupEnd;
      continue;
    }
    const pieces = new Map<string, { rowStart: number; data: DecodedArray }[]>(names.map((n) => [n, []]));
    await parquetRead({
      file,
      metadata,
      columns: names,
      rowStart: groupStart,
      rowEnd: groupEnd,
      compressors,
      utf8: false, // BYTE_ARRAY without a string annotation stays bytes
      onChunk: (chunk) => {
        pieces.get(chunk.columnName)?.push({ rowStart: chunk.rowStart, data: chunk.columnData });
      },
    });
    const vectors = columns.map((c) => {
      const values = joinPieces(pieces.get(c.name) ?? [], groupStart, groupEnd);
      return columnFromValues(values, c.type, { column: c.name, rowStart: groupStart }, c.asText === true);
    });
    yield { columns: vectors, rows, fraction };
    groupStart = groupEnd;
  }
}

/** One column's values for rows [start, end) out of hyparquet's chunks (one per page or so). */
function joinPieces(pieces: { rowStart: number; data: DecodedArray }[], start: number, end: number): ArrayLike<unknown> {
  pieces.sort((a, b) => a.rowStart - b.rowStart);
  const [first] = pieces;
  if (pieces.length === 1 && first && first.rowStart === start && first.data.length === end - start) return first.data;
  const total = end - start;
  const typed = first && ArrayBuffer.isView(first.data) && pieces.every((p) => p.data.constructor === first.data.constructor);
  const out = typed ? new (first.data.constructor as new (n: number) => DecodedArray & { set(a: ArrayLike<unknown>, at: number): void })(total) : new Array<unknown>(total);
  let filled = 0;
  for (const p of pieces) {
    const from = Math.max(start, p.rowStart);
    const to = Math.min(end, p.rowStart + p.data.length);
    if (to <= from) continue;
    const part = (typed ? (p.data as Float64Array).subarray(from - p.rowStart, to - p.rowStart) : p.data.slice(from - p.rowStart, to - p.rowStart)) as ArrayLike<unknown>;
    if (typed) (out as { set(a: ArrayLike<unknown>, at: number): void }).set(part, from - start);
    else for (let i = 0; i < part.length; i++) (out as unknown[])[from - start + i] = part[i];
    filled += to - from;
  }
  if (filled !== total) throw new InputError(`Parquet rows ${start + 1}-${end}: a column came back with ${filled} rows`);
  return out;
}

/** The Arrow type a flat Parquet column holds, or unsupported with its name. */
export function sourceType(e: SchemaElement): SourceType {
  const typed = (type: arrow.DataType): SourceType => ({ kind: 'typed', type });
  const unsupported: SourceType = { kind: 'unsupported', typeName: `${parquetTypeName(e)} (Parquet)` };
  const logical = e.logical_type;
  const converted = e.converted_type;
  switch (e.type) {
    case 'BOOLEAN':
      return typed(new arrow.Bool());
    case 'FLOAT':
      return typed(new arrow.Float32());
    case 'DOUBLE':
      return typed(new arrow.Float64());
    case 'INT32':
    case 'INT64': {
      const physicalBits = e.type === 'INT32' ? 32 : 64;
      if (logical?.type === 'INTEGER') return typed(intType(logical.bitWidth, logical.isSigned));
      if (logical) return unsupported;
      switch (converted) {
        case undefined: return typed(intType(physicalBits, true));
        case 'INT_8': return typed(intType(8, true));
        case 'INT_16': return typed(intType(16, true));
        case 'INT_32': return typed(intType(32, true));
        case 'INT_64': return typed(intType(64, true));
        case 'UINT_8': return typed(intType(8, false));
        case 'UINT_16': return typed(intType(16, false));
        case 'UINT_32': return typed(intType(32, false));
        case 'UINT_64': return typed(intType(64, false));
        default: return unsupported;
      }
    }
    case 'BYTE_ARRAY': {
      const text = logical?.type === 'STRING' || logical?.type === 'ENUM' || logical?.type === 'JSON' || converted === 'UTF8' || converted === 'ENUM' || converted === 'JSON';
      if (text) return typed(new arrow.Utf8());
      if (logical || converted) return unsupported;
      return typed(new arrow.Binary());
    }
    default:
      return unsupported;
  }
}

function intType(bits: number, signed: boolean): arrow.DataType {
  switch (bits) {
    case 8: return signed ? new arrow.Int8() : new arrow.Uint8();
    case 16: return signed ? new arrow.Int16() : new arrow.Uint16();
    case 32: return signed ? new arrow.Int32() : new arrow.Uint32();
    default: return signed ? new arrow.Int64() : new arrow.Uint64();
  }
}

function parquetTypeName(e: SchemaElement): string {
  const logical = e.logical_type;
  if (logical?.type === 'INTEGER') return `${logical.isSigned ? 'INT' : 'UINT'}${logical.bitWidth}`;
  if (logical?.type === 'TIMESTAMP') return `TIMESTAMP(${logical.unit})`;
  if (logical?.type === 'DECIMAL') return `DECIMAL(${logical.precision}, ${logical.scale})`;
  if (logical) return logical.type;
  if (e.converted_type) return e.converted_type;
  return e.type ?? 'group';
}
