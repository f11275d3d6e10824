/**
 * Tables as the webview shows them: column descriptions, and windows of rows as display texts
 * (the webview never holds a whole large table; it asks for the rows in view).
 *
 * Shape-aware: a tensor column whose rows are short vectors (an output of shape [n, 3]) is shown as
 * one column per element (`probabilities[0]`, `probabilities[1]` ...); a row of higher rank (an
 * [n, 8, 8] image) is shown as nested lists by its shape, and `cellText` gives the whole value of one
 * cell, a line per row of its matrix, for the panel's detail view. Floats are shown at their own
 * precision (a float32 0.1 is 0.1, not 0.10000000149011612) and always as floats (1.0, not 1).
 */
import * as arrow from 'apache-arrow';
import { v2DatatypeOf, type AnyTable, type AnyVector } from '../protocol/arrowCodec';
import type { ColumnInfo, TableInfo } from '../shared/panelMessages';
import { formatCell, formatFloat } from '../shared/panelValues';

/** Longest text a cell shows; the rest is cut with an ellipsis. */
const MAX_CELL = 2000;
/** Widest per-row vector shown as one column per element. */
const MAX_SPLIT = 16;
/** Longest text of a cell's detail view. */
const MAX_DETAIL = 1_000_000;

/** A column as shown: a table column, or one element of its per-row vectors. */
interface ViewColumn {
  readonly info: ColumnInfo;
  readonly vector: AnyVector | null;
  /** The element of each row's vector this column shows (split columns). */
  readonly element?: number;
  /** The shape of one row's value (rank >= 1 for tensor columns). */
  readonly rowShape: readonly number[];
}

export function tableInfo(tableId: string, table: AnyTable): TableInfo {
  return { tableId, rows: table.numRows, columns: viewColumns(table).map((c) => c.info) };
}

function viewColumns(table: AnyTable): ViewColumn[] {
  const out: ViewColumn[] = [];
  for (const f of table.schema.fields) {
    const vector = table.getChild(f.name);
    const shape = shapeOf(f.metadata.get('pyml.shape'));
    const datatype = f.metadata.get('pyml.datatype') ?? leafDatatype(f.type);
    const rowShape = shape && shape.length > 1 && arrow.DataType.isFixedSizeList(f.type) ? shape.slice(1) : [];
    const shown = `[${(shape ?? [table.numRows]).join(', ')}]`;
    const width = rowShape.reduce((a, b) => a * b, 1);
    if (rowShape.length === 1 && width <= MAX_SPLIT && vector) {
      for (let j = 0; j < width; j++) {
        out.push({ info: { name: `${f.name}[${j}]`, datatype, shape: shown, nulls: 0 }, vector, element: j, rowShape });
      }
      continue;
    }
    out.push({ info: { name: f.name, datatype, shape: shown, nulls: vector?.nullCount ?? 0 }, vector, rowShape });
  }
  return out;
}

/** Rows [start, start + count) as texts, one list per shown column; null for a missing value. */
export function rowWindow(table: AnyTable, start: number, count: number): (string | null)[][] {
  const end = Math.min(table.numRows, start + count);
  const columns = viewColumns(table);
  const rows: (string | null)[][] = [];
  for (let r = start; r < end; r++) rows.push(columns.map((c) => clip(viewCell(c, r))));
  return rows;
}

/** The whole value of one shown cell (nested by its shape, a line per innermost row), or null when missing. */
export function cellText(table: AnyTable, row: number, column: number): string | null {
  const c = viewColumns(table)[column];
  if (!c || row < 0 || row >= table.numRows) return null;
  const text = viewCell(c, row, true);
  return text !== null && text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL)}…` : text;
}

function viewCell(c: ViewColumn, row: number, multiline = false): string | null {
  const v = c.vector;
  if (!v || !v.isValid(row)) return null;
  const value = v.get(row) as unknown;
  if (c.element !== undefined) {
    if (!arrow.isArrowVector(value)) return null;
    const vector = value as AnyVector;
    const item: unknown = vector.get(c.element);
    return item === null || item === undefined ? null : typedText(item, vector.type as arrow.DataType);
  }
  if (c.rowShape.length > 0 && arrow.isArrowVector(value)) return nestedText(value as AnyVector, c.rowShape, multiline);
  return typedText(value, v.type);
}

/** A row's flat vector as nested lists of `shape`; with `multiline`, a line per innermost list. */
function nestedText(flat: AnyVector, shape: readonly number[], multiline: boolean): string {
  const limit = multiline ? Infinity : 100;
  const build = (offset: number, depth: number, indent: string): string => {
    const n = shape[depth] ?? 0;
    const stride = shape.slice(depth + 1).reduce((a, b) => a * b, 1);
    const parts: string[] = [];
    const shown = Math.min(n, limit);
    for (let i = 0; i < shown; i++) {
      parts.push(depth === shape.length - 1 ? typedText(flat.get(offset + i) as unknown, flat.type) : build(offset + i * stride, depth + 1, `${indent} `));
    }
    if (n > shown) parts.push('...');
    const inner = depth < shape.length - 1;
    return multiline && inner ? `[${parts.join(`,\n${indent} `)}]` : `[${parts.join(', ')}]`;
  };
  return build(0, 0, '');
}

/** A value as text, floats at the precision of their type. */
function typedText(v: unknown, type: arrow.DataType): string {
  if (typeof v === 'number' && arrow.DataType.isFloat(type)) return formatFloat(v, type.precision === arrow.Precision.DOUBLE ? 64 : 32);
  return display(v);
}

/** A value as text: numbers in their shortest exact form, NaN/inf spelled out, bytes as b'..', lists as [..]. */
export function display(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || typeof v === 'string') return formatCell(v) ?? '';
  if (v instanceof Uint8Array) return bytesText(v);
  if (arrow.isArrowVector(v)) {
    const parts: string[] = [];
    const n = Math.min(v.length, 100);
    const type = v.type as arrow.DataType;
    for (let i = 0; i < n; i++) parts.push(typedText(v.get(i) as unknown, type));
    return `[${parts.join(', ')}${v.length > n ? ', ...' : ''}]`;
  }
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x));
}

/** Python-style bytes literal: printable ASCII as is, the rest as \xNN. */
export function bytesText(b: Uint8Array): string {
  let s = "b'";
  const n = Math.min(b.length, MAX_CELL);
  for (let i = 0; i < n; i++) {
    const c = b[i] ?? 0;
    if (c === 0x5c) s += '\\\\';
    else if (c === 0x27) s += "\\'";
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return `${s}${b.length > n ? '...' : ''}'`;
}

function leafDatatype(type: arrow.DataType): string {
  const direct = v2DatatypeOf(type);
  if (direct) return direct;
  if (arrow.DataType.isFixedSizeList(type) || arrow.DataType.isList(type)) return leafDatatype((type.children[0]?.type as arrow.DataType | undefined) ?? type);
  return arrow.Type[type.typeId];
}

function shapeOf(text: string | undefined): number[] | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) && v.every((d) => typeof d === 'number') ? v : undefined;
  } catch {
    return undefined;
  }
}

function clip(s: string | null): string | null {
  return s !== null && s.length > MAX_CELL ? `${s.slice(0, MAX_CELL)}…` : s;
}
