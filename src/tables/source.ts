/**
 * What every input reader gives: its columns up front, then the asked-for columns in chunks; the
 * regrouping of those chunks into batches of exactly the rows per batch (the last may be short), or
 * into one table (the panel).
 */
import * as arrow from 'apache-arrow';
import type { ColumnRead, SourceField } from './fields';
import type { AnyVector } from './columnBuilder';

export interface SourceChunk {
  /** The columns asked for, in the order asked, each `rows` long. */
  readonly columns: readonly AnyVector[];
  readonly rows: number;
  /** How far through the input this chunk ends, 0..1, when the reader knows. */
  readonly fraction?: number;
  /** Lets the reader reuse the columns' memory for later chunks: call once nothing holds a view of them. */
  readonly release?: () => void;
}

export interface TableSource {
  /** The file or query, for messages. */
  readonly description: string;
  readonly fields: readonly SourceField[];
  /** Rows in all, when known before reading (Parquet). */
  readonly totalRows: number | undefined;
  /** Reads `columns` (by name, as the given types) in chunks of any size, in input order. */
  chunks(columns: readonly ColumnRead[], signal?: AbortSignal): AsyncIterable<SourceChunk>;
  close(): Promise<void>;
}

/** One batch: a table of `rows` rows whose columns are the ones read, in order. */
export interface SourceBatch {
  readonly table: arrow.Table;
  /** First row of the batch in the input, 0-based. */
  readonly rowStart: number;
  readonly fraction?: number;
  /**
   * Says the batch's memory is no longer viewed (its request answered, its rows written out): a
   * chunk whose rows were all cut into batches, each released, goes back to its reader. Optional;
   * a batch never released is simply collected.
   */
  readonly release: () => void;
}

/** A chunk being cut into batches: released to its reader once all its rows are cut and every batch of them released. */
interface ChunkUse {
  readonly release: (() => void) | undefined;
  /** Its rows not yet cut into a batch. */
  left: number;
  /** Batches cut from it and not yet released. */
  batches: number;
}

/** A table of the given columns (all of one length) under `schema`, without copying them. */
export function tableOf(schema: arrow.Schema, columns: readonly AnyVector[]): arrow.Table {
  const length = columns[0]?.length ?? 0;
  const single = columns.map((c) => (c.data.length === 1 ? c.data[0] : undefined));
  if (single.every((d): d is arrow.Data => d !== undefined)) {
    const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length, children: single, nullCount: 0 });
    return new arrow.Table(schema, [new arrow.RecordBatch(schema, data)]);
  }
  // Columns cut into chunks at different rows: Arrow lines the chunks up.
  const aligned = new arrow.Table(Object.fromEntries(columns.map((c, i) => [schema.fields[i]?.name ?? String(i), c])));
  return new arrow.Table(schema, aligned.batches.map((b) => new arrow.RecordBatch(schema, b.data)));
}

/** The Arrow schema of the columns read (every column nullable). */
export function readSchema(columns: readonly ColumnRead[]): arrow.Schema {
  return new arrow.Schema(columns.map((c) => new arrow.Field(c.name, c.type, true)));
}

/**
 * Regroups a reader's chunks into batches of exactly `rowsPerBatch` rows (the last may be shorter;
 * an empty input gives no batch). Holds at most one batch plus one chunk.
 */
export async function* batchesOf(
  source: TableSource,
  columns: readonly ColumnRead[],
  rowsPerBatch: number,
  signal?: AbortSignal,
): AsyncGenerator<SourceBatch> {
  if (!Number.isSafeInteger(rowsPerBatch) || rowsPerBatch < 1) throw new Error(`rows per batch must be a whole number of at least 1, not ${rowsPerBatch}`);
  const schema = readSchema(columns);
  let pending: arrow.Table | undefined;
  let rowStart = 0;
  let fraction: number | undefined;
  // The chunks whose rows are in `pending`, oldest first.
  const uses: ChunkUse[] = [];
  /** Cuts `rows` rows off the front of the chunks in use; the batch's release. */
  const cut = (rows: number): (() => void) => {
    const from: ChunkUse[] = [];
    for (let left = rows; left > 0;) {
      const use = uses[0];
      if (!use) break;
      const n = Math.min(left, use.left);
      use.left -= n;
      left -= n;
      use.batches++;
      from.push(use);
      if (use.left === 0) uses.shift();
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const use of from) if (--use.batches === 0 && use.left === 0) use.release?.();
    };
  };
  for await (const chunk of source.chunks(columns, signal)) {
    if (chunk.rows === 0) {
      chunk.release?.();
      continue;
    }
    fraction = chunk.fraction;
    uses.push({ release: chunk.release, left: chunk.rows, batches: 0 });
    const table = tableOf(schema, chunk.columns);
    pending = pending ? pending.concat(table) : table;
    while (pending.numRows >= rowsPerBatch) {
      const batch = pending.slice(0, rowsPerBatch);
      pending = pending.slice(rowsPerBatch);
      // The fraction of the chunk's end, scaled back to where this batch ends.
      const done = pending.numRows === 0 ? fraction : undefined;
      yield { table: compact(batch), rowStart, ...(done !== undefined ? { fraction: done } : {}), release: cut(rowsPerBatch) };
      rowStart += rowsPerBatch;
    }
  }
  if (pending && pending.numRows > 0) yield { table: compact(pending), rowStart, ...(fraction !== undefined ? { fraction } : {}), release: cut(pending.numRows) };
}

/** Every row of `columns` as one table (for inputs small enough to hold: the panel's files). */
export async function readTable(source: TableSource, columns: readonly ColumnRead[]): Promise<arrow.Table> {
  const schema = readSchema(columns);
  const parts: arrow.Table[] = [];
  for await (const chunk of source.chunks(columns)) if (chunk.rows > 0) parts.push(tableOf(schema, chunk.columns));
  const [first, ...rest] = parts;
  return first ? first.concat(...rest) : new arrow.Table(schema);
}

/**
 * Every column of the source as one table, each as its own type: CSV columns as text, JSON lines
 * columns as their values' type, and types V2 cannot carry (dates, decimals ...) as text.
 */
export function readAll(source: TableSource): Promise<arrow.Table> {
  return readTable(source, source.fields.map((f): ColumnRead => {
    switch (f.type.kind) {
      case 'typed': case 'json': return { name: f.name, type: f.type.type };
      case 'text': return { name: f.name, type: new arrow.Utf8() };
      case 'unsupported': return { name: f.name, type: new arrow.Utf8(), asText: true };
    }
  }));
}

/** A table without empty record batches (slicing leaves some behind). */
function compact(table: arrow.Table): arrow.Table {
  const batches = table.batches.filter((b) => b.numRows > 0);
  return batches.length === table.batches.length ? table : new arrow.Table(table.schema, batches);
}
