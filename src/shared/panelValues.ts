/**
 * Values typed into the test-prediction panel: the rules for one cell of each V2 datatype (the value
 * grammar of src/tables/values.ts, with the spellings people type), nested lists for tensors, pasted
 * CSV/TSV (the CSV parser of src/tables), and random values from a schema. The webview uses them to
 * mark a bad cell as it is typed; the extension runs the same rules again on what it receives.
 *
 * Plain TypeScript with no imports of Node or Arrow: compiled into both bundles.
 */
import { CsvParseError, CsvParser } from '../tables/csvParse';
import { parseTypedCell, type Value, type ValueResult } from '../tables/values';
import type { Datatype } from './panelMessages';

export type CellValue = Value;
export type CellResult = ValueResult;

/**
 * One cell's text as a value of `datatype`. `null` is a missing value; an empty text is missing too,
 * except in a text (BYTES) column, where it is the empty string. Integers of 64 bits are bigint.
 */
export function parseCell(datatype: Datatype, text: string | null): CellResult {
  return parseTypedCell(datatype, text);
}

/** The text a value is shown and edited as. */
export function formatCell(value: CellValue): string | null {
  if (value === null) return null;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (value === Infinity) return 'inf';
    if (value === -Infinity) return '-inf';
    return String(value);
  }
  return String(value);
}

/**
 * A float as text at the precision of its type: the shortest text that reads back to the same
 * float32 (0.1, not 0.10000000149011612) or float64, always with a decimal point or an exponent
 * (1.0, not 1: a probability of exactly one still reads as a float), NaN and inf spelled out.
 */
export function formatFloat(value: number, bits: 32 | 64): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  let text = String(value);
  if (bits === 32) {
    const single = Math.fround(value);
    for (let p = 1; p <= 9; p++) {
      const candidate = Number(value.toPrecision(p));
      if (Math.fround(candidate) === single) {
        text = String(candidate);
        break;
      }
    }
  }
  return /^-?\d+$/.test(text) ? `${text}.0` : text;
}

// ---------------------------------------------------------------------------------------------
// Shapes and nested lists (tensors)

/** A nested list read from text: its shape and its leaves in row-major order, as cell texts. */
export interface Nested {
  readonly shape: number[];
  readonly items: (string | null)[];
}

export type NestedResult = { readonly ok: true; readonly value: Nested } | { readonly ok: false; readonly error: string };

/**
 * Reads a JSON-like nested list: `[[1, 2], [3, 4]]`, a scalar `5`, strings in double quotes, true,
 * false, null. Numbers are kept as their text (a 64-bit integer keeps every digit). Lists must be
 * rectangular. Whitespace-separated numbers without brackets (`1 2 3`) are read as a flat list.
 */
export function parseNested(text: string): NestedResult {
  const src = text.trim();
  if (src === '') return { ok: true, value: { shape: [0], items: [] } };
  if (!src.startsWith('[') && !src.startsWith('"') && /\s|,/.test(src)) {
    const items = src.split(/[\s,]+/).filter((s) => s.length > 0);
    return { ok: true, value: { shape: [items.length], items } };
  }
  const p = new NestedParser(src);
  try {
    const node = p.value();
    p.end();
    const shape: number[] = [];
    const items: (string | null)[] = [];
    layout(node, 0, shape, items);
    return { ok: true, value: { shape, items } };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

type Node = string | null | Node[];

function layout(node: Node, depth: number, shape: number[], items: (string | null)[]): void {
  if (Array.isArray(node)) {
    const known = shape[depth];
    if (known === undefined) {
      if (items.length > 0) throw new Error(`the lists are not rectangular: a list at depth ${depth} where a value was found before`);
      shape.push(node.length);
    } else if (known !== node.length) {
      throw new Error(`the lists are not rectangular: ${node.length} elements where ${known} were found before (depth ${depth})`);
    }
    for (const child of node) layout(child, depth + 1, shape, items);
  } else {
    if (depth !== shape.length) throw new Error(`the lists are not rectangular: a value at depth ${depth}, lists go ${shape.length} deep`);
    items.push(node);
  }
}

class NestedParser {
  private at = 0;
  constructor(private readonly s: string) {}

  value(): Node {
    this.space();
    const c = this.s[this.at];
    if (c === '[') return this.list();
    if (c === '"') return this.string();
    const m = /^(?:[+-]?(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?inf(?:inity)?|nan|true|false|null|none)/i.exec(this.s.slice(this.at));
    if (!m) throw new Error(`unexpected '${this.s.slice(this.at, this.at + 10)}' at character ${this.at + 1}`);
    this.at += m[0].length;
    const word = m[0].toLowerCase();
    return word === 'null' || word === 'none' ? null : m[0];
  }

  end(): void {
    this.space();
    if (this.at < this.s.length) throw new Error(`unexpected '${this.s.slice(this.at, this.at + 10)}' after the value at character ${this.at + 1}`);
  }

  private list(): Node[] {
    this.at++; // [
    const out: Node[] = [];
    this.space();
    if (this.s[this.at] === ']') {
      this.at++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.space();
      const c = this.s[this.at];
      if (c === ',') {
        this.at++;
        continue;
      }
      if (c === ']') {
        this.at++;
        return out;
      }
      throw new Error(c === undefined ? "a list is not closed with ']'" : `expected ',' or ']' at character ${this.at + 1}`);
    }
  }

  private string(): string {
    const start = this.at;
    this.at++;
    while (this.at < this.s.length) {
      const c = this.s[this.at];
      if (c === '\\') this.at += 2;
      else if (c === '"') {
        this.at++;
        return JSON.parse(this.s.slice(start, this.at)) as string;
      } else this.at++;
    }
    throw new Error('a string is not closed with "');
  }

  private space(): void {
    while (this.at < this.s.length && /\s/.test(this.s[this.at] ?? '')) this.at++;
  }
}

/** Whether `actual` fits `declared` (-1 = any size); a message saying how it does not, or undefined. */
export function shapeProblem(declared: readonly number[], actual: readonly number[]): string | undefined {
  if (declared.length === 0) return undefined; // the server declared no shape
  const fits = declared.length === actual.length && declared.every((d, i) => d === -1 || d === actual[i]);
  return fits ? undefined : `shape [${actual.join(', ')}] does not fit the declared [${declared.join(', ')}] (-1: any size)`;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

// ---------------------------------------------------------------------------------------------
// Pasted tables

/**
 * Splits pasted text into rows of cells: tab-separated when the first line has a tab (spreadsheets),
 * else semicolon-separated when it has semicolons and no commas, else comma-separated, with RFC 4180
 * double quotes. Empty lines are dropped; a quote left open runs to the end of the text.
 */
export function parseDelimited(text: string): string[][] {
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  const sep = firstLine.includes('\t') ? '\t' : firstLine.includes(';') && !firstLine.includes(',') ? ';' : ',';
  const parse = (t: string): string[][] => {
    const parser = new CsvParser(sep);
    return [...parser.push(t), ...parser.end()];
  };
  try {
    return parse(text);
  } catch (err) {
    if (err instanceof CsvParseError) return parse(`${text}"`);
    throw err;
  }
}

/** Whether a pasted first row names the columns (every cell is a column name of the schema). */
export function isHeaderRow(row: readonly string[], names: readonly string[]): boolean {
  return row.length > 0 && row.every((c) => names.includes(c.trim()));
}

// ---------------------------------------------------------------------------------------------
// Random values

/** A deterministic generator (mulberry32) so a "random sample" can be reproduced in tests. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];

/** Where a random value is drawn from: a number range and/or texts (from the model's sample). */
export interface RandomRange {
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
}

/**
 * A random, valid cell text for a datatype: within `range` when given (a range of one value is
 * widened by 20% around it, never below 0 when it was not), else small non-negative values (0 to 1
 * for floats, 0 to 9 for integers), which most features and pixels accept.
 */
export function randomCell(datatype: Datatype, random: () => number, range?: RandomRange): string {
  const r = random();
  if (datatype === 'BOOL') return r < 0.5 ? 'false' : 'true';
  if (datatype === 'BYTES') {
    const texts = range?.values;
    if (texts && texts.length > 0) return texts[Math.floor(r * texts.length)] ?? texts[0] ?? '';
    return `${WORDS[Math.floor(r * WORDS.length)] ?? 'alpha'}-${Math.floor(random() * 1000)}`;
  }
  const integer = datatype.startsWith('INT') || datatype.startsWith('UINT');
  let lo = range?.min ?? 0;
  let hi = range?.max ?? (integer ? 9 : 1);
  if (lo === hi) {
    const half = Math.abs(lo) * 0.1 || 0.5;
    const nonNegative = lo >= 0;
    lo -= half;
    hi += half;
    if (nonNegative) lo = Math.max(0, lo);
  }
  if (datatype.startsWith('UINT')) lo = Math.max(0, lo);
  if (integer) return String(Math.floor(Math.ceil(lo) + r * (Math.floor(hi) - Math.ceil(lo) + 1)));
  const v = lo + r * (hi - lo);
  // As many decimals as the range needs to look like its data: 3 significant digits of its span.
  const decimals = Math.max(0, Math.min(6, 2 - Math.floor(Math.log10(Math.max(hi - lo, 1e-9)))));
  return String(Number(v.toFixed(decimals)));
}

/** A concrete shape for a declared one: each -1 becomes `rows` for the first dimension, else 2. */
export function concreteShape(declared: readonly number[], rows: number): number[] {
  if (declared.length === 0) return [rows];
  return declared.map((d, i) => (d >= 0 ? d : i === 0 ? rows : 2));
}

/** Random contents of a tensor as nested-list text. */
export function randomTensorText(datatype: Datatype, shape: readonly number[], random: () => number, range?: RandomRange): string {
  const build = (depth: number): string => {
    if (depth === shape.length) {
      const v = randomCell(datatype, random, range);
      return datatype === 'BYTES' ? JSON.stringify(v) : v;
    }
    const n = shape[depth] ?? 0;
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(build(depth + 1));
    return `[${parts.join(', ')}]`;
  };
  return build(0);
}
