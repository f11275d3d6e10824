/**
 * Opens an input file by its format as a TableSource: CSV/TSV, JSON lines, Parquet, Arrow IPC. The
 * readers stream (a chunk of rows at a time) and are used by batch runs and the panel alike.
 */
import * as path from 'path';
import { InputError } from './errors';
import type { TableSource } from './source';

export type InputFormat = 'csv' | 'parquet' | 'jsonl' | 'arrow';

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

/** Opens `file` as `format` (by default, the format of its extension). */
export async function openFile(file: string, format = inputFormatOf(file)): Promise<TableSource> {
  if (!format) {
    throw new InputError(`${file}: unknown input format; use a .csv, .tsv, .parquet, .jsonl, .arrow or .feather file (or a SQL query)`);
  }
  try {
    switch (format) {
      case 'csv':
        return await (await import('./csv')).openCsv(file);
      case 'parquet':
        return await (await import('./parquet')).openParquet(file);
      case 'jsonl':
        return await (await import('./jsonl')).openJsonLines(file);
      case 'arrow':
        return await (await import('./arrowIpc')).openArrow(file);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new InputError(`${file}: no such file`);
    throw err;
  }
}
