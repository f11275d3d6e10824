/**
 * CSV output: a header row, then one row per input row, RFC 4180 quoting (a field with a comma,
 * quote, line break or outer space is quoted, quotes doubled), `\n` line ends, UTF-8.
 *
 * Values: floats in the shortest text that reads back to the same value (float32 as float32), so
 * a float64 written here and read back is the same number; NaN, Infinity, -Infinity; -0 as `-0`;
 * integers exactly (64-bit too); bools as true/false; a missing value is an empty field; bytes
 * as base64.
 */
import * as arrow from 'apache-arrow';
import { FileOut } from './stream';
import { commitFile, removeQuietly, type BatchSink, type SinkOptions } from './sinkFile';

type Format = (value: unknown) => string;

export function openCsvSink(tempPath: string, options: SinkOptions): BatchSink {
  const out = new FileOut(tempPath);
  const fields = options.schema.fields;
  const formats = fields.map((f) => formatterOf(f.type as arrow.DataType));
  let headerWritten = false;
  return {
    tempPath,
    async write(table) {
      const parts: string[] = [];
      if (!headerWritten) {
        parts.push(fields.map((f) => quote(f.name)).join(','), '\n');
        headerWritten = true;
      }
      const columns = fields.map((f) => table.getChild(f.name));
      const rows = table.numRows;
      const text: string[] = new Array<string>(rows);
      const cells: string[] = new Array<string>(columns.length);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < columns.length; j++) {
          const v: unknown = columns[j]?.get(i);
          cells[j] = v === null || v === undefined ? '' : (formats[j] as Format)(v);
        }
        text[i] = cells.join(',');
      }
      if (rows > 0) parts.push(text.join('\n'), '\n');
      await out.write(parts.join(''));
    },
    async commit() {
      if (!headerWritten) await out.write(`${fields.map((f) => quote(f.name)).join(',')}\n`);
      await out.end();
      return commitFile(tempPath, options.output);
    },
    async abort() {
      await out.destroy();
      await removeQuietly(tempPath);
    },
  };
}

function formatterOf(type: arrow.DataType): Format {
  if (arrow.DataType.isFloat(type)) {
    return type.precision === arrow.Precision.SINGLE ? (v) => float32Text(v as number) : (v) => float64Text(v as number);
  }
  if (arrow.DataType.isInt(type)) return (v) => String(v);
  if (arrow.DataType.isBool(type)) return (v) => (v ? 'true' : 'false');
  if (arrow.DataType.isBinary(type)) return (v) => Buffer.from(v as Uint8Array).toString('base64');
  return (v) => quote(typeof v === 'string' ? v : String(v));
}

/** The shortest text that reads back as the same float64 (JavaScript's own), with -0 kept. */
export function float64Text(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (v === 0 && Object.is(v, -0)) return '-0';
  return String(v);
}

/** The shortest text that reads back as the same float32. */
export function float32Text(v: number): string {
  if (!Number.isFinite(v) || v === 0) return float64Text(v);
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(v.toPrecision(p));
    if (Math.fround(candidate) === v) return String(candidate);
  }
  return String(v);
}

export function quote(s: string): string {
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
