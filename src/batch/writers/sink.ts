/**
 * Where the output table goes. Every writer writes to a temporary file next to the output and
 * renames it to the output's name only when the run completes (`commit`); a failed or cancelled
 * run deletes it (`abort`). A partial file therefore never carries the output's name, and an
 * existing output is replaced in one step (rename is atomic on one file system).
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { partialPath, type BatchSink, type OutputFormat, type SinkOptions } from './sinkFile';

export { commitFile, partialPath, removeQuietly, type BatchSink, type OutputFormat, type SinkOptions } from './sinkFile';

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

export async function openSink(options: SinkOptions): Promise<BatchSink> {
  const dir = path.dirname(options.output);
  const stat = await fs.stat(dir).catch(() => undefined);
  if (!stat?.isDirectory()) throw new Error(`cannot write ${options.output}: the folder ${dir} does not exist`);
  const tempPath = partialPath(options.output);
  switch (options.format) {
    case 'parquet':
      return (await import('./parquetWriter')).openParquetSink(tempPath, options);
    case 'csv':
      return (await import('./csvWriter')).openCsvSink(tempPath, options);
    case 'arrow':
    case 'arrows':
      return (await import('./arrowIpcWriter')).openArrowSink(tempPath, options);
  }
}
