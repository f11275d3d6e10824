/**
 * What every output writer shares: the sink interface, its options, and the temporary-file steps
 * (write next to the output, rename on commit, remove on abort). The writers import this; sink.ts
 * picks a writer by format.
 */
import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import type * as arrow from 'apache-arrow';

export type OutputFormat = 'parquet' | 'csv' | 'arrow' | 'arrows';

export interface BatchSink {
  /** The temporary file being written. */
  readonly tempPath: string;
  /** Appends rows; the table's schema is the one the sink was opened with. */
  write(table: arrow.Table): Promise<void>;
  /**
   * Rows, from the first written, of which the sink keeps no view (written out, or copied): their
   * tables' memory may be reused. Absent: the sink may keep views until commit.
   */
  releasedRows?(): number;
  /** Finishes the file and renames it to the output path; returns its size in bytes. */
  commit(): Promise<number>;
  /** Stops and deletes the temporary file; never throws. */
  abort(): Promise<void>;
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
