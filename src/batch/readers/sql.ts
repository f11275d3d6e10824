/**
 * A SQL query over local files through DuckDB (in memory, streamed chunk by chunk: DuckDB holds
 * what its plan needs, the extension one chunk). Relative paths in the query are resolved against
 * `cwd` (DuckDB's file_search_path); DuckDB never downloads extensions here.
 *
 *   SELECT * FROM 'data/customers.parquet' WHERE country = 'NL'
 *   SELECT id, CAST(tenure AS BIGINT) AS tenure, plan FROM read_csv('data/*.csv')
 */
import * as arrow from 'apache-arrow';
import type { DuckDBConnection, DuckDBInstance, DuckDBResult } from '@duckdb/node-api';
import { ColumnBuilder } from '../../tables/columnBuilder';
import { InputError } from '../../tables/errors';
import type { ColumnRead, SourceField, SourceType } from '../../tables/fields';
import type { TableSource, SourceChunk } from '../../tables/source';
import type { DuckDbModule } from '../duckdb';

const CHUNK_ROWS = 16384;

export interface SqlOptions {
  /** The folder relative paths in the query start from (the workspace folder). */
  readonly cwd: string;
  /** DuckDB worker threads (default: DuckDB's own, one per core). */
  readonly threads?: number;
  /** DuckDB's memory limit, e.g. `1GB` (default: DuckDB's own, 80% of RAM). */
  readonly memoryLimit?: string;
}

export async function openSql(duckdb: DuckDbModule, query: string, options: SqlOptions): Promise<TableSource> {
  const config: Record<string, string> = {
    file_search_path: options.cwd,
    autoinstall_known_extensions: 'false',
    ...(options.threads ? { threads: String(options.threads) } : {}),
    ...(options.memoryLimit ? { memory_limit: options.memoryLimit } : {}),
  };
  const instance = await duckdb.DuckDBInstance.create(':memory:', config);
  const connection = await instance.connect();
  const run = async (): Promise<DuckDBResult> => {
    try {
      return await connection.stream(query);
    } catch (err) {
      throw new InputError(`the SQL query failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  let first: DuckDBResult | undefined;
  try {
    // The query runs once to learn its columns; that result is the one read unless it is asked for twice.
    first = await run();
  } catch (err) {
    close(connection, instance);
    throw err;
  }
  const names = first.columnNames();
  const fields = names.map((name, i): SourceField => {
    const typeName = String(first?.columnType(i));
    return { name, type: sourceType(typeName), typeName: `${typeName} (DuckDB)` };
  });
  const dupe = names.find((n, i) => names.indexOf(n) !== i);
  if (dupe !== undefined) {
    close(connection, instance);
    throw new InputError(`the SQL query returns two columns named '${dupe}'; give them different names with AS`);
  }
  return {
    description: `SQL: ${query.replace(/\s+/g, ' ').trim()}`,
    fields,
    totalRows: undefined,
    chunks: (columns, signal) => {
      const result = first ?? undefined;
      first = undefined;
      return chunks(result ?? (() => run()), names, columns, signal);
    },
    close: () => {
      close(connection, instance);
      return Promise.resolve();
    },
  };
}

function close(connection: DuckDBConnection, instance: DuckDBInstance): void {
  connection.closeSync();
  instance.closeSync();
}

async function* chunks(
  resultOrRun: DuckDBResult | (() => Promise<DuckDBResult>),
  names: readonly string[],
  columns: readonly ColumnRead[],
  signal?: AbortSignal,
): AsyncGenerator<SourceChunk> {
  const result = typeof resultOrRun === 'function' ? await resultOrRun() : resultOrRun;
  const index = columns.map((c) => names.indexOf(c.name));
  let rowStart = 0;
  let count = 0;
  let builders: ColumnBuilder[] | undefined;
  const flush = (): SourceChunk => {
    const chunk = { columns: (builders ?? []).map((b) => b.finish()), rows: count };
    rowStart += count;
    count = 0;
    builders = undefined;
    return chunk;
  };
  for (;;) {
    if (signal?.aborted) return;
    let chunk;
    try {
      chunk = await result.fetchChunk();
    } catch (err) {
      throw new InputError(`the SQL query failed after ${rowStart + count} rows: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!chunk || chunk.rowCount === 0) break;
    const rows = chunk.rowCount;
    if (builders && count + rows > CHUNK_ROWS) yield flush();
    builders ??= columns.map((c) => new ColumnBuilder(c.type, Math.max(CHUNK_ROWS, rows), { column: c.name, rowStart }));
    columns.forEach((c, j) => {
      const values = chunk.getColumnValues(index[j] ?? 0) as unknown[];
      const b = (builders as ColumnBuilder[])[j] as ColumnBuilder;
      const binary = arrow.DataType.isBinary(c.type);
      for (const v of values) {
        if (c.asText) b.pushAsText(v);
        else b.pushValue(binary && v !== null && typeof v === 'object' && 'bytes' in v ? (v as { bytes: Uint8Array }).bytes : v);
      }
    });
    count += rows;
  }
  if (count > 0) yield flush();
}

/** The Arrow type of a DuckDB column type, by its SQL name. */
export function sourceType(typeName: string): SourceType {
  const typed = (type: arrow.DataType): SourceType => ({ kind: 'typed', type });
  switch (typeName) {
    case 'BOOLEAN': return typed(new arrow.Bool());
    case 'TINYINT': return typed(new arrow.Int8());
    case 'SMALLINT': return typed(new arrow.Int16());
    case 'INTEGER': return typed(new arrow.Int32());
    case 'BIGINT': return typed(new arrow.Int64());
    case 'UTINYINT': return typed(new arrow.Uint8());
    case 'USMALLINT': return typed(new arrow.Uint16());
    case 'UINTEGER': return typed(new arrow.Uint32());
    case 'UBIGINT': return typed(new arrow.Uint64());
    case 'FLOAT': return typed(new arrow.Float32());
    case 'DOUBLE': return typed(new arrow.Float64());
    case 'VARCHAR': return typed(new arrow.Utf8());
    case 'BLOB': return typed(new arrow.Binary());
    default: return { kind: 'unsupported', typeName: `${typeName} (DuckDB)` };
  }
}
