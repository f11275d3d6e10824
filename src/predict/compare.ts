/**
 * Two answers compared column by column: used by the panel's "compare" and by the Test Explorer,
 * which replays saved samples and needs a verdict with a tolerance for floats.
 */
import * as arrow from 'apache-arrow';
import { v2DatatypeOf, type AnyTable, type AnyVector } from '../protocol/arrowCodec';
import type { Comparison } from '../shared/panelMessages';
import { display } from './format';

export interface Tolerance {
  /** Relative tolerance: |a - b| <= atol + rtol * |b|. */
  readonly rtol: number;
  readonly atol: number;
}

export const DEFAULT_TOLERANCE: Tolerance = { rtol: 1e-6, atol: 1e-9 };

type ColumnVerdict = Comparison['columns'][number];

/** Compares `actual` with `expected` column by column; floats within the tolerance count as equal, NaN equals NaN. */
export function compareTables(a: AnyTable, b: AnyTable, tolerance: Tolerance = { rtol: 0, atol: 0 }): ColumnVerdict[] {
  const names = [...new Set([...a.schema.fields.map((f) => f.name), ...b.schema.fields.map((f) => f.name)])];
  return names.map((name) => {
    const x = a.getChild(name);
    const y = b.getChild(name);
    if (!y) return verdict(name, 'only-a');
    if (!x) return verdict(name, 'only-b');
    if (x.length !== y.length) return { ...verdict(name, 'rows'), differing: Math.abs(x.length - y.length) };
    const tx = v2DatatypeOf(x.type) ?? arrow.Type[x.type.typeId];
    const ty = v2DatatypeOf(y.type) ?? arrow.Type[y.type.typeId];
    if (tx !== ty) return verdict(name, 'type');
    return compareColumns(name, x, y, tolerance);
  });
}

function verdict(name: string, v: ColumnVerdict['verdict']): ColumnVerdict {
  return { name, verdict: v, differing: 0, maxAbsDiff: null, firstRow: null };
}

function compareColumns(name: string, x: AnyVector, y: AnyVector, tol: Tolerance): ColumnVerdict {
  let differing = 0;
  let firstRow: number | null = null;
  let maxAbsDiff: number | null = null;
  const numeric = arrow.DataType.isFloat(x.type) || arrow.DataType.isInt(x.type);
  const bytes = v2DatatypeOf(x.type) === 'BYTES';
  for (let i = 0; i < x.length; i++) {
    const vx: unknown = x.isValid(i) ? x.get(i) : null;
    const vy: unknown = y.isValid(i) ? y.get(i) : null;
    let same: boolean;
    if (numeric && vx !== null && vy !== null) {
      const [nx, ny] = [Number(vx), Number(vy)];
      if (typeof vx === 'bigint' || typeof vy === 'bigint') same = vx === vy;
      else same = closeEnough(nx, ny, tol);
      const d = Math.abs(nx - ny);
      if (Number.isFinite(d)) maxAbsDiff = Math.max(maxAbsDiff ?? 0, d);
    } else if (bytes && vx !== null && vy !== null) {
      // Text and binary columns holding the same bytes are the same answer.
      same = asBytes(vx).equals(asBytes(vy));
    } else {
      same = vx === vy || display(vx) === display(vy);
    }
    if (!same) {
      differing++;
      firstRow ??= i;
    }
  }
  return { name, verdict: differing === 0 ? 'same' : 'differs', differing, maxAbsDiff, firstRow };
}

function asBytes(v: unknown): Buffer {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return Buffer.from(typeof v === 'string' ? v : display(v), 'utf8');
}

export function closeEnough(a: number, b: number, tol: Tolerance): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true; // also equal infinities
  return Math.abs(a - b) <= tol.atol + tol.rtol * Math.abs(b);
}

/** True when every column is the same. */
export function allSame(columns: readonly ColumnVerdict[]): boolean {
  return columns.every((c) => c.verdict === 'same');
}
