/**
 * CSV (and TSV) input, streamed through an incremental RFC 4180 parser (csvParse.ts); the first
 * row is the header. Columns are text; each value is converted to the type it is read as
 * (columnBuilder.ts, by the grammar of values.ts), and a value that does not convert names its
 * row and column.
 */
import * as fs from 'fs';
import type { ColumnRead, SourceField } from './fields';
import { columnFromText } from './columnBuilder';
import { InputError } from './errors';
import type { TableSource, SourceChunk } from './source';
import { CsvParseError, CsvParser } from './csvParse';

const CHUNK_ROWS = 8192;

export interface CsvOptions {
  /** `,` by default; a tab for .tsv files. */
  readonly delimiter?: string;
}

export async function openCsv(file: string, options: CsvOptions = {}): Promise<TableSource> {
  const delimiter = options.delimiter ?? (/\.tsv$/i.test(file) ? '\t' : ',');
  const size = (await fs.promises.stat(file)).size;
  const header = await readHeader(file, delimiter);
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) throw new InputError(`${file}: the header names column '${name}' twice`);
    seen.add(name);
  }
  const fields: SourceField[] = header.map((name) => ({ name, type: { kind: 'text' }, typeName: 'text (CSV)' }));
  return {
    description: file,
    fields,
    totalRows: undefined,
    chunks: (columns, signal) => chunks(file, delimiter, size, header, columns, signal),
    close: () => Promise.resolve(),
  };
}

/** The rows of a CSV file, in parts, with how many bytes were read so far. */
async function* rowsOf(file: string, delimiter: string): AsyncGenerator<{ rows: string[][]; bytesRead: number }> {
  const input = fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 256 * 1024 });
  const parser = new CsvParser(delimiter);
  try {
    for await (const text of input as AsyncIterable<string>) {
      const rows = parser.push(text);
      if (rows.length > 0) yield { rows, bytesRead: input.bytesRead };
    }
    yield { rows: parser.end(), bytesRead: input.bytesRead };
  } catch (err) {
    if (err instanceof CsvParseError) throw new InputError(`${file}: ${err.message}`);
    throw err;
  } finally {
    input.destroy();
  }
}

async function readHeader(file: string, delimiter: string): Promise<string[]> {
  for await (const { rows } of rowsOf(file, delimiter)) {
    const [first] = rows;
    if (first) return first.map((c, i) => (i === 0 ? c.replace(/^\uFEFF/, '') : c).trim());
  }
  throw new InputError(`${file} is empty: a CSV input needs a header row with the column names`);
}

async function* chunks(
  file: string,
  delimiter: string,
  size: number,
  header: readonly string[],
  columns: readonly ColumnRead[],
  signal?: AbortSignal,
): AsyncGenerator<SourceChunk> {
  const index = columns.map((c) => {
    const at = header.indexOf(c.name);
    if (at < 0) throw new InputError(`${file} has no column '${c.name}'`);
    return at;
  });
  let cells: string[][] = columns.map(() => []);
  let count = 0;
  let rowStart = 0;
  let bytes = 0;
  let first = true;
  const flush = (): SourceChunk => {
    const vectors = columns.map((c, j) => columnFromText(cells[j] ?? [], c.type, { column: c.name, rowStart }));
    const chunk = { columns: vectors, rows: count, fraction: size > 0 ? Math.min(1, bytes / size) : 1 };
    rowStart += count;
    cells = columns.map(() => []);
    count = 0;
    return chunk;
  };
  for await (const part of rowsOf(file, delimiter)) {
    bytes = part.bytesRead;
    for (const values of part.rows) {
      if (first) {
        first = false;
        continue;
      }
      if (values.length !== header.length) {
        throw new InputError(`${file}: row ${rowStart + count + 1} has ${values.length} fields but the header has ${header.length}`);
      }
      for (let j = 0; j < index.length; j++) (cells[j] as string[]).push(values[index[j] ?? 0] ?? '');
      if (++count === CHUNK_ROWS) {
        if (signal?.aborted) return;
        yield flush();
      }
    }
  }
  if (count > 0) yield flush();
}
