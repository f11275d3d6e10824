/**
 * Parquet output through hyparquet-writer (pure JavaScript): batches are gathered into row groups
 * of `rowGroupRows` rows, each written and flushed to disk as soon as it is full, so memory holds
 * one row group whatever the output's size.
 *
 * Types: float64 DOUBLE, float32 FLOAT, float16 FLOAT (widened), int8/16/32 INT32 and int64 INT64
 * with their INTEGER annotations, uint* likewise (UINT_*), bool BOOLEAN, text BYTE_ARRAY (STRING),
 * bytes BYTE_ARRAY. A column that cannot hold missing values in the schema (the model's float
 * outputs: V2 carries missing floats as NaN) is REQUIRED; the others are OPTIONAL. Pages are Snappy
 * compressed (WebAssembly, hysnappy); no min/max statistics are written. Float columns are PLAIN
 * encoded: hyparquet-writer's dictionary keys values by JavaScript equality, which would merge -0
 * into 0 (and NaN payloads into one NaN).
 *
 * Speed: a row group whose columns are all 32/64-bit numbers without nulls (the usual model output,
 * and id keys) is written by parquetPages.ts straight from the Arrow buffers, with no pass over the
 * values; the other row groups go through hyparquet-writer. Both write the same values in the same
 * schema, so a file may mix them.
 */
import * as arrow from 'apache-arrow';
import { closeSync, openSync, writeSync } from 'fs';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { snappyCompressor } from 'hysnappy';
import { arrowTypeName } from '../../tables/fields';
import { fastColumn, FixedPageWriter, type PageOut } from './parquetPages';
import { commitFile, removeQuietly, type BatchSink, type SinkOptions } from './sinkFile';

type SchemaElement = ConstructorParameters<typeof ParquetWriter>[0]['schema'][number];
type ColumnSource = Parameters<ParquetWriter['write']>[0]['columnData'][number];

const DEFAULT_ROW_GROUP_ROWS = 131072;

/** A hyparquet Writer that appends to a file descriptor whenever its buffer passes 1 MiB. */
class FdWriter extends ByteWriter implements PageOut {
  private static readonly FLUSH_BYTES = 1024 * 1024;

  constructor(private readonly fd: number) {
    super(FdWriter.FLUSH_BYTES * 2);
  }

  override ensure(size: number): void {
    if (this.index > FdWriter.FLUSH_BYTES) this.flush();
    super.ensure(size);
  }

  flush(): void {
    let at = 0;
    const bytes = new Uint8Array(this.buffer, 0, this.index);
    while (at < bytes.byteLength) at += writeSync(this.fd, bytes, at, bytes.byteLength - at);
    this.index = 0;
  }

  /** Writes bytes to the file as they are, after what is buffered (no copy into the buffer). */
  appendDirect(bytes: Uint8Array): void {
    this.flush();
    let at = 0;
    while (at < bytes.byteLength) at += writeSync(this.fd, bytes, at, bytes.byteLength - at);
    this.offset += bytes.byteLength;
  }

  override finish(): void {
    this.flush();
  }
}

export function openParquetSink(tempPath: string, options: SinkOptions): BatchSink {
  const fields = options.schema.fields;
  const fd = openSync(tempPath, 'wx');
  let closed = false;
  const close = (): void => {
    if (!closed) {
      closed = true;
      closeSync(fd);
    }
  };
  const out = new FdWriter(fd);
  const schema = schemaOf(fields);
  const codec = options.compression ?? 'SNAPPY';
  // Snappy in WebAssembly (hysnappy): several times faster than hyparquet-writer's JavaScript one.
  const snappy = snappyCompressor();
  const writer = new ParquetWriter({
    writer: out,
    schema,
    codec,
    compressors: { SNAPPY: snappy },
    // Min/max statistics cost as much as encoding the values; readers of batch outputs scan them whole.
    statistics: false,
    createdBy: 'pyml batch (hyparquet-writer)',
  });
  const pages = new FixedPageWriter(out, codec === 'SNAPPY' ? snappy : undefined);
  const groupRows = options.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS;
  let pending: arrow.Table[] = [];
  let pendingRows = 0;
  let writtenRows = 0; // rows of the row groups written out: the sink holds no view of them

  /** The row group straight from the Arrow buffers (every column fixed-width, no nulls). */
  const writeFastGroup = (tables: readonly arrow.Table[], rows: number): void => {
    const groupStart = out.offset;
    const columns = fields.map((f, j) => {
      const element = schema[j + 1];
      if (!element) throw new Error(`the output schema has no column '${f.name}'`);
      return pages.writeColumn(element, tables.flatMap((t) => (t.getChildAt(j) as arrow.Vector).data), rows);
    });
    let total = 0n;
    for (const c of columns) total += c.meta_data?.total_uncompressed_size ?? 0n;
    writer.row_groups.push({ columns, total_byte_size: total, num_rows: BigInt(rows), total_compressed_size: BigInt(out.offset - groupStart) });
    writer.num_rows += BigInt(rows);
  };

  const writeGroup = (): void => {
    if (pendingRows === 0) return;
    if (pending.every((t) => fields.every((_, j) => fastColumn(t.getChildAt(j))))) {
      const tables = pending;
      const rows = pendingRows;
      pending = [];
      pendingRows = 0;
      writeFastGroup(tables, rows);
      writtenRows += rows;
      return;
    }
    const [first, ...rest] = pending;
    const table = first && rest.length > 0 ? first.concat(...rest) : first;
    pending = [];
    pendingRows = 0;
    if (!table) return;
    const columnData = fields.map((f) => columnSource(f, table));
    // One row group: the size covers every row gathered.
    void writer.write({ columnData, rowGroupSize: table.numRows });
    writtenRows += table.numRows;
  };

  return {
    tempPath,
    write(table) {
      let rest = table;
      while (rest.numRows > 0) {
        const room = groupRows - pendingRows;
        const part = rest.numRows <= room ? rest : rest.slice(0, room);
        rest = rest.numRows <= room ? rest.slice(rest.numRows) : rest.slice(room);
        pending.push(part);
        pendingRows += part.numRows;
        if (pendingRows >= groupRows) writeGroup();
      }
      return Promise.resolve();
    },
    releasedRows: () => writtenRows,
    async commit() {
      writeGroup();
      void writer.finish();
      close();
      return commitFile(tempPath, options.output);
    },
    async abort() {
      try {
        close();
      } catch {
        // already closed
      }
      await removeQuietly(tempPath);
    },
  };
}

/** The Parquet schema of the output's Arrow fields. */
export function schemaOf(fields: readonly arrow.Field[]): SchemaElement[] {
  return [{ name: 'schema', num_children: fields.length }, ...fields.map(elementOf)];
}

function elementOf(field: arrow.Field): SchemaElement {
  const type = field.type as arrow.DataType;
  const repetition_type = field.nullable ? 'OPTIONAL' : 'REQUIRED';
  const base = { name: field.name, repetition_type } as const;
  if (arrow.DataType.isFloat(type)) return { ...base, type: type.precision === arrow.Precision.DOUBLE ? 'DOUBLE' : 'FLOAT' };
  if (arrow.DataType.isBool(type)) return { ...base, type: 'BOOLEAN' };
  if (arrow.DataType.isUtf8(type)) return { ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } };
  if (arrow.DataType.isBinary(type)) return { ...base, type: 'BYTE_ARRAY' };
  if (arrow.DataType.isInt(type)) {
    const bits = type.bitWidth;
    const physical = bits === 64 ? 'INT64' : 'INT32';
    const converted = `${type.isSigned ? 'INT' : 'UINT'}_${bits}` as 'INT_8';
    // Converted types only: hyparquet-writer's INTEGER logical type is not read by every reader (DuckDB).
    return { ...base, type: physical, converted_type: converted };
  }
  throw new Error(`column '${field.name}': ${arrowTypeName(type)} cannot be written to Parquet`);
}

/** One column of a row group as hyparquet-writer takes it: a typed array, or values with null. */
function columnSource(field: arrow.Field, table: arrow.Table): ColumnSource {
  const vector = table.getChild(field.name);
  if (!vector) throw new Error(`the output has no column '${field.name}'`);
  const type = vector.type as arrow.DataType;
  if (vector.nullCount > 0) {
    if (!field.nullable) throw new Error(`output column '${field.name}' has ${vector.nullCount} missing values but cannot hold any`);
    const values = [...(vector as Iterable<unknown>)].map(plainValue);
    return arrow.DataType.isFloat(type) ? { name: field.name, data: values, encoding: 'PLAIN' } : { name: field.name, data: values };
  }
  if (arrow.DataType.isFloat(type) && type.precision === arrow.Precision.HALF) {
    return { name: field.name, data: Float32Array.from(vector as Iterable<number>), encoding: 'PLAIN' };
  }
  if (arrow.DataType.isInt(type) && !type.isSigned && type.bitWidth === 32) {
    // hyparquet-writer maps plain numbers of a UINT_32 column into INT32's range itself.
    return { name: field.name, data: Array.from(vector.toArray() as Uint32Array) };
  }
  if (arrow.DataType.isFloat(type)) return { name: field.name, data: vector.toArray() as Float64Array, encoding: 'PLAIN' };
  if (arrow.DataType.isInt(type)) return { name: field.name, data: vector.toArray() as BigInt64Array };
  return { name: field.name, data: [...(vector as Iterable<unknown>)].map(plainValue) };
}

function plainValue(v: unknown): unknown {
  return v === undefined ? null : v;
}
