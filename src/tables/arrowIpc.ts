/**
 * Arrow IPC input, file format (`.arrow`, `.feather` v2) or stream format (`.arrows`), read record
 * batch by record batch. Columns of the type asked for are used as they are (no copy).
 * Compressed files (LZ4/ZSTD buffers) are refused with how to save them uncompressed.
 */
import * as arrow from 'apache-arrow';
import { promises as fs } from 'fs';
import { v2DatatypeOf } from '../protocol/arrowCodec';
import { arrowTypeName, type ColumnRead, type SourceField } from './fields';
import { castVector } from './columnBuilder';
import { InputError, messageOf } from './errors';
import type { TableSource, SourceChunk } from './source';

type AsyncReader = arrow.AsyncRecordBatchFileReader | arrow.AsyncRecordBatchStreamReader;

export async function openArrow(file: string): Promise<TableSource> {
  const schema = await withReader(file, (reader) => Promise.resolve(reader.schema));
  const fields = schema.fields.map((f): SourceField => {
    const type = f.type as arrow.DataType;
    const plain = arrow.DataType.isDictionary(type) ? (type.dictionary as arrow.DataType) : type;
    const typeName = `${arrowTypeName(type)} (Arrow)`;
    if (v2DatatypeOf(plain)) return { name: f.name, type: { kind: 'typed', type: plain }, typeName };
    return { name: f.name, type: { kind: 'unsupported', typeName }, typeName };
  });
  return {
    description: file,
    fields,
    totalRows: undefined,
    chunks: (columns, signal) => chunks(file, columns, signal),
    close: () => Promise.resolve(),
  };
}

async function open(file: string): Promise<{ reader: AsyncReader; handle: fs.FileHandle }> {
  const handle = await fs.open(file, 'r');
  try {
    const reader = (await arrow.RecordBatchReader.from(handle)) as unknown as AsyncReader;
    await reader.open();
    return { reader, handle };
  } catch (err) {
    await handle.close().catch(() => undefined);
    if (err instanceof InputError) throw err;
    const text = messageOf(err);
    if (/compress/i.test(text)) {
      throw new InputError(`${file} is a compressed Arrow/Feather file (${text}); save it uncompressed (pyarrow.feather.write_feather(df, path, compression="uncompressed"))`);
    }
    throw new InputError(`${file} is not an Arrow IPC / Feather file or stream (${text})`);
  }
}

async function withReader<T>(file: string, use: (reader: AsyncReader) => Promise<T>): Promise<T> {
  const { reader, handle } = await open(file);
  try {
    return await use(reader);
  } finally {
    await reader.cancel().catch(() => undefined);
    await handle.close().catch(() => undefined);
  }
}

async function* chunks(file: string, columns: readonly ColumnRead[], signal?: AbortSignal): AsyncGenerator<SourceChunk> {
  const { reader, handle } = await open(file);
  let rowStart = 0;
  try {
    for await (const batch of reader as AsyncIterable<arrow.RecordBatch>) {
      if (signal?.aborted) return;
      const vectors = columns.map((c) => {
        const child = batch.getChild(c.name);
        if (!child) throw new InputError(`${file}: a record batch has no column '${c.name}'`);
        return castVector(plainVector(child as arrow.Vector<arrow.DataType>), c.type, { column: c.name, rowStart }, c.asText === true);
      });
      yield { columns: vectors, rows: batch.numRows };
      rowStart += batch.numRows;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
    await handle.close().catch(() => undefined);
  }
}

/** A dictionary-encoded column as plain values (writers and the codec want plain columns). */
function plainVector(v: arrow.Vector<arrow.DataType>): arrow.Vector<arrow.DataType> {
  if (!arrow.DataType.isDictionary(v.type)) return v;
  return arrow.vectorFromArray([...v] as unknown[], v.type.dictionary as arrow.DataType);
}
