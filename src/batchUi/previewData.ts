/**
 * The first rows of a table file (CSV, Parquet, Arrow IPC, JSON lines) as texts, for the table
 * preview: read through the same readers as batch inputs and panel files (src/tables), and shown with
 * the panel's cell texts (src/predict/format.ts). Stops reading once it has the rows it shows, so a
 * preview of a 10 GB output costs the same as one of 10 rows.
 */
import * as arrow from 'apache-arrow';
import { promises as fs } from 'fs';
import { rowWindow } from '../predict/format';
import type { AnyTable } from '../protocol/arrowCodec';
import { openFile } from '../tables';
import type { ColumnRead } from '../tables/fields';
import { tableOf, readSchema } from '../tables/source';
import type { PreviewColumn, PreviewTable } from '../shared/previewMessages';

/** Rows a preview shows at most. */
export const PREVIEW_ROWS = 500;

export interface PreviewOptions {
  readonly maxRows?: number;
  /** Rows in the whole file when the caller knows (a batch run counted them). */
  readonly knownRows?: number;
}

export async function readPreview(file: string, options: PreviewOptions = {}): Promise<PreviewTable> {
  const maxRows = Math.max(1, options.maxRows ?? PREVIEW_ROWS);
  const source = await openFile(file);
  try {
    const reads = source.fields.map((f): ColumnRead => {
      switch (f.type.kind) {
        case 'typed':
        case 'json':
          return { name: f.name, type: f.type.type };
        case 'text':
          return { name: f.name, type: new arrow.Utf8() };
        case 'unsupported':
          return { name: f.name, type: new arrow.Utf8(), asText: true };
      }
    });
    // CSV columns have no type of their own: no type is shown for them.
    const columns: PreviewColumn[] = source.fields.map((f) => ({ name: f.name, type: f.type.kind === 'text' ? '' : shortType(f.typeName) }));
    const schema = readSchema(reads);
    const rows: (string | null)[][] = [];
    // One row more than shown tells whether the file goes on.
    const limit = maxRows + 1;
    const stop = new AbortController();
    for await (const chunk of source.chunks(reads, stop.signal)) {
      if (chunk.rows === 0) continue;
      const table = tableOf(schema, chunk.columns);
      const take = Math.min(chunk.rows, limit - rows.length);
      rows.push(...rowWindow(table as AnyTable, 0, take));
      if (rows.length >= limit) {
        stop.abort();
        break;
      }
    }
    let more = rows.length > maxRows;
    rows.length = Math.min(rows.length, maxRows);
    const stat = await fs.stat(file);
    const totalRows = options.knownRows ?? source.totalRows ?? (more ? undefined : rows.length);
    if (totalRows !== undefined) more = totalRows > rows.length;
    return { file, columns, rows, ...(totalRows !== undefined ? { totalRows } : {}), more, bytes: stat.size };
  } finally {
    await source.close();
  }
}

/** `DOUBLE (Parquet)` -> `DOUBLE`; `text (CSV)` -> `text`. */
function shortType(typeName: string): string {
  return typeName.replace(/\s*\([^)]*\)\s*$/, '') || typeName;
}
