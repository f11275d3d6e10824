/**
 * Tables as the webview shows them: column descriptions, and windows of rows as display texts
 * (the webview never holds a whole large table; it asks for the rows in view).
 */
import * as arrow from 'apache-arrow';
import { v2DatatypeOf, type AnyTable, type AnyVector } from '../protocol/arrowCodec';
import type { ColumnInfo, TableInfo } from '../shared/panelMessages';
import { formatCell } from '../shared/panelValues';

/** Longest text a cell shows; the rest is cut with an ellipsis. */
const MAX_CELL = 2000;

export function tableInfo(tableId: string, table: AnyTable): TableInfo {
  return {
    tableId,
    rows: table.numRows,
    columns: table.schema.fields.map((f): ColumnInfo => {
      const column = table.getChild(f.name);
      const shape = f.metadata.get('pyml.shape') ?? `[${table.numRows}]`;
      const datatype = f.metadata.get('pyml.datatype') ?? v2DatatypeOf(f.type) ?? arrow.Type[f.type.typeId];
      return { name: f.name, datatype, shape: shape.replace(/,/g, ', '), nulls: column?.nullCount ?? 0 };
    }),
  };
}

/** Rows [start, start + count) as texts, one list per row; null for a missing value. */
export function rowWindow(table: AnyTable, start: number, count: number): (string | null)[][] {
  const end = Math.min(table.numRows, start + count);
  const columns = table.schema.fields.map((f) => table.getChild(f.name));
  const rows: (string | null)[][] = [];
  for (let r = start; r < end; r++) {
    rows.push(columns.map((c) => (c ? cellAt(c, r) : null)));
  }
  return rows;
}

export function cellAt(column: AnyVector, row: number): string | null {
  if (!column.isValid(row)) return null;
  return clip(display(column.get(row) as unknown));
}

/** A value as text: floats in their shortest exact form, NaN/inf spelled out, bytes as b'..', lists as [..]. */
export function display(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || typeof v === 'string') return formatCell(v) ?? '';
  if (v instanceof Uint8Array) return bytesText(v);
  if (arrow.isArrowVector(v)) {
    const parts: string[] = [];
    const n = Math.min(v.length, 100);
    for (let i = 0; i < n; i++) parts.push(display(v.get(i) as unknown));
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

function clip(s: string): string {
  return s.length > MAX_CELL ? `${s.slice(0, MAX_CELL)}…` : s;
}
