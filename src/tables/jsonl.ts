/**
 * JSON lines input (one JSON object a line, as pandas `to_json(orient="records", lines=True)`
 * writes it), streamed. The columns are the keys of the first lines (up to SAMPLE_LINES); a key
 * column's type is what its values are there: numbers -> float64, booleans -> bool, else text.
 */
import * as fs from 'fs';
import * as readline from 'readline';
import * as arrow from 'apache-arrow';
import type { ColumnRead, SourceField } from './fields';
import { ColumnBuilder } from './columnBuilder';
import { InputError } from './errors';
import type { TableSource, SourceChunk } from './source';

const CHUNK_ROWS = 8192;
const SAMPLE_LINES = 1000;

export async function openJsonLines(file: string): Promise<TableSource> {
  const size = (await fs.promises.stat(file)).size;
  const fields = await sampleFields(file);
  return {
    description: file,
    fields,
    totalRows: undefined,
    chunks: (columns, signal) => chunks(file, size, columns, signal),
    close: () => Promise.resolve(),
  };
}

interface Line {
  readonly row: number;
  readonly value: Record<string, unknown>;
}

/** The objects of a JSON lines file, in order (each line checked as the batch reader checks it). */
export async function* jsonObjects(file: string): AsyncGenerator<Record<string, unknown>> {
  for await (const { value } of lines(file, fs.createReadStream(file, { encoding: 'utf8' }))) yield value;
}

async function* lines(file: string, input: fs.ReadStream): AsyncGenerator<Line> {
  const reader = readline.createInterface({ input, crlfDelay: Infinity });
  let row = 0;
  let lineNo = 0;
  try {
    for await (const text of reader) {
      lineNo++;
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw new InputError(`${file}: line ${lineNo} is not JSON (${err instanceof Error ? err.message : String(err)})`);
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new InputError(`${file}: line ${lineNo} is not a JSON object; JSON lines input needs one object per line`);
      }
      yield { row: row++, value: value as Record<string, unknown> };
    }
  } finally {
    reader.close();
    input.destroy();
  }
}

async function sampleFields(file: string): Promise<SourceField[]> {
  const kinds = new Map<string, Set<string>>();
  let n = 0;
  for await (const { value } of lines(file, fs.createReadStream(file, { encoding: 'utf8' }))) {
    for (const [key, v] of Object.entries(value)) {
      let set = kinds.get(key);
      if (!set) kinds.set(key, (set = new Set()));
      if (v !== null) set.add(typeof v);
    }
    if (++n >= SAMPLE_LINES) break;
  }
  if (n === 0) throw new InputError(`${file} holds no JSON objects`);
  return [...kinds].map(([name, set]) => {
    const only = set.size === 1 ? [...set][0] : undefined;
    const type = only === 'number' ? new arrow.Float64() : only === 'boolean' ? new arrow.Bool() : new arrow.Utf8();
    return { name, type: { kind: 'json', type }, typeName: `JSON ${only ?? (set.size === 0 ? 'null' : 'mixed')}` };
  });
}

async function* chunks(file: string, size: number, columns: readonly ColumnRead[], signal?: AbortSignal): AsyncGenerator<SourceChunk> {
  const input = fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 256 * 1024 });
  let builders: ColumnBuilder[] | undefined;
  let count = 0;
  let rowStart = 0;
  const start = (): ColumnBuilder[] => columns.map((c) => new ColumnBuilder(c.type, CHUNK_ROWS, { column: c.name, rowStart }));
  const flush = (): SourceChunk => {
    const vectors = (builders ?? []).map((b) => b.finish());
    const chunk = { columns: vectors, rows: count, fraction: size > 0 ? Math.min(1, input.bytesRead / size) : 1 };
    rowStart += count;
    count = 0;
    builders = undefined;
    return chunk;
  };
  for await (const { value } of lines(file, input)) {
    builders ??= start();
    for (let j = 0; j < columns.length; j++) {
      const c = columns[j] as ColumnRead;
      const b = builders[j] as ColumnBuilder;
      const v = value[c.name];
      if (c.asText) b.pushAsText(v);
      else b.pushValue(v);
    }
    if (++count === CHUNK_ROWS) {
      if (signal?.aborted) return;
      yield flush();
    }
  }
  if (count > 0) yield flush();
}
