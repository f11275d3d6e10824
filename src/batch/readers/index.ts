/** Opens the input of a batch run: a file, by its format, or a SQL query. */
import * as path from 'path';
import type { DuckDbModule } from '../duckdb';
import { InputError } from '../errors';
import type { BatchSource } from '../source';

export type InputFormat = 'csv' | 'parquet' | 'jsonl' | 'arrow';

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

/** The input formats by file extension. */
export const INPUT_EXTENSIONS: Readonly<Record<InputFormat, readonly string[]>> = {
  csv: ['csv', 'tsv', 'txt'],
  parquet: ['parquet', 'pq'],
  jsonl: ['jsonl', 'ndjson', 'json'],
  arrow: ['arrow', 'arrows', 'feather', 'ipc'],
};

export function inputFormatOf(file: string): InputFormat | undefined {
  const ext = path.extname(file).slice(1).toLowerCase();
  for (const [format, exts] of Object.entries(INPUT_EXTENSIONS) as [InputFormat, readonly string[]][]) {
    if (exts.includes(ext)) return format;
  }
  return undefined;
}

export async function openSource(spec: InputSpec): Promise<BatchSource> {
  if (spec.kind === 'sql') {
    const { openSql } = await import('./sql');
    return openSql(spec.duckdb(), spec.query, {
      cwd: spec.cwd,
      ...(spec.threads !== undefined ? { threads: spec.threads } : {}),
      ...(spec.memoryLimit !== undefined ? { memoryLimit: spec.memoryLimit } : {}),
    });
  }
  const format = spec.format ?? inputFormatOf(spec.path);
  if (!format) {
    throw new InputError(`${spec.path}: unknown input format; use a .csv, .tsv, .parquet, .jsonl, .arrow or .feather file (or a SQL query)`);
  }
  try {
    switch (format) {
      case 'csv':
        return await (await import('./csv')).openCsv(spec.path);
      case 'parquet':
        return await (await import('./parquet')).openParquet(spec.path);
      case 'jsonl':
        return await (await import('./jsonl')).openJsonLines(spec.path);
      case 'arrow':
        return await (await import('./arrowIpc')).openArrow(spec.path);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new InputError(`${spec.path}: no such file`);
    throw err;
  }
}
