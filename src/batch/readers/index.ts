/** Opens the input of a batch run: a file, by its format (src/tables), or a SQL query (DuckDB). */
import { openFile, type InputFormat } from '../../tables';
import type { TableSource } from '../../tables/source';
import type { DuckDbModule } from '../duckdb';

export type InputSpec =
  | { readonly kind: 'file'; readonly path: string; readonly format?: InputFormat }
  | {
      readonly kind: 'sql';
      readonly query: string;
      /** Relative paths in the query start here. */
      readonly cwd: string;
      /** Loads DuckDB (only called for SQL). */
      readonly duckdb: () => DuckDbModule;
      readonly threads?: number;
      readonly memoryLimit?: string;
    };

export async function openSource(spec: InputSpec): Promise<TableSource> {
  if (spec.kind === 'file') return openFile(spec.path, spec.format);
  const { openSql } = await import('./sql');
  return openSql(spec.duckdb(), spec.query, {
    cwd: spec.cwd,
    ...(spec.threads !== undefined ? { threads: spec.threads } : {}),
    ...(spec.memoryLimit !== undefined ? { memoryLimit: spec.memoryLimit } : {}),
  });
}
