/**
 * Where the output table goes. Every writer writes to a temporary file next to the output and
 * renames it to the output's name only when the run completes (`commit`); a failed or cancelled
 * run deletes it (`abort`). A partial file therefore never carries the output's name, and an
 * existing output is replaced in one step (rename is atomic on one file system).
 */
import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import type * as arrow from 'apache-arrow';

export type OutputFormat = 'parquet' | 'csv' | 'arrow' | 'arrows';

export const OUTPUT_EXTENSIONS: Readonly<Record<OutputFormat, readonly string[]>> = {
  parquet: ['parquet', 'pq'],
  csv: ['csv'],
  arrow: ['arrow', 'feather', 'ipc'],
  arrows: ['arrows'],
};

export function outputFormatOf(file: string): OutputFormat | undefined {
  const ext = path.extname(file).slice(1).toLowerCase();
  for (const [format, exts] of Object.entries(OUTPUT_EXTENSIONS) as [OutputFormat, readonly string[]][]) {
    if (exts.includes(ext)) return format;
  }
  return undefined;
}

export interface BatchSink {
  /** The temporary file being written. */
  readonly tempPath: string;
  /** Appends rows; the table's schema is the one the sink was opened with. */
  write(table: arrow.Table): Promise<void>;
  /** Finishes the file and renames it to the output path; returns its size in bytes. */
  commit(): Promise<number>;
  /** Stops and deletes the temporary file; never throws. */
  abort(): Promise<void>;
}

/** The temporary name of an output: hidden, next to it, unique, ending in `.partial`. */
export function partialPath(output: string): string {
  return path.join(path.dirname(output), `.${path.basename(output)}.${randomBytes(4).toString('hex')}.partial`);
}

/**
 * The file steps every writer shares: `finish` closes its own handles, then the temporary file is
 * renamed; on abort it is removed.
 */
export async function commitFile(tempPath: string, output: string): Promise<number> {
  const { size } = await fs.stat(tempPath);
  await fs.rename(tempPath, output);
  return size;
}

export async function removeQuietly(file: string): Promise<void> {
  await fs.rm(file, { force: true }).catch(() => undefined);
}

export interface SinkOptions {
  readonly output: string;
  readonly format: OutputFormat;
  readonly schema: arrow.Schema;
  /** Parquet: rows per row group (batches are gathered up to it; default 131072). */
  readonly rowGroupRows?: number;
  /** Parquet compression (default SNAPPY). */
  readonly compression?: 'SNAPPY' | 'UNCOMPRESSED';
}

export async function openSink(options: SinkOptions): Promise<BatchSink> {
  const dir = path.dirname(options.output);
  const stat = await fs.stat(dir).catch(() => undefined);
  if (!stat?.isDirectory()) throw new Error(`cannot write ${options.output}: the folder ${dir} does not exist`);
  const tempPath = partialPath(options.output);
  switch (options.format) {
    case 'parquet':
      return (await import('./parquet')).openParquetSink(tempPath, options);
    case 'csv':
      return (await import('./csv')).openCsvSink(tempPath, options);
    case 'arrow':
    case 'arrows':
      return (await import('./arrowIpc')).openArrowSink(tempPath, options);
  }
}
