/**
 * The value grammar: how the text of one value (a CSV field, a cell typed into the panel's grid, a
 * string in a JSON file) reads as a value of a V2 datatype. One grammar for every reader of the
 * extension, held against the Python runtime's readers by test/fixtures/shared/values.json:
 *
 *  - BYTES: the text as it is (an empty text is the empty string).
 *  - any other datatype: an empty (or all-space) text is a missing value; spaces around a value are
 *    ignored.
 *  - BOOL: `true`, `false`, `1`, `0` (any case).
 *  - integers: decimal digits with an optional sign, in the datatype's range. 64-bit ones are bigint.
 *  - floats: decimal or scientific (`1.5`, `.5`, `5.`, `1e-3`), `nan`, `inf`, `infinity` (any case,
 *    optional sign), finite values in the datatype's range.
 *
 * Cells typed by hand in the panel also take a few spellings people type (`parseTypedCell`): `yes`
 * and `no`, `NA` and `null` for a missing value, `1_000`, and `3.0` for a whole number.
 *
 * Plain TypeScript without imports of Node or Arrow: the webview's bundle uses it too.
 */
import type { V2Datatype } from '../model/dtypes';

export type Value = number | bigint | boolean | string | null;
export type ValueResult = { readonly ok: true; readonly value: Value } | { readonly ok: false; readonly error: string };

const INT_RANGE: Readonly<Record<string, readonly [bigint, bigint]>> = {
  INT8: [-(2n ** 7n), 2n ** 7n - 1n],
  INT16: [-(2n ** 15n), 2n ** 15n - 1n],
  INT32: [-(2n ** 31n), 2n ** 31n - 1n],
  INT64: [-(2n ** 63n), 2n ** 63n - 1n],
  UINT8: [0n, 2n ** 8n - 1n],
  UINT16: [0n, 2n ** 16n - 1n],
  UINT32: [0n, 2n ** 32n - 1n],
  UINT64: [0n, 2n ** 64n - 1n],
};

/** The largest finite value of each float datatype. */
export const FLOAT_MAX: Readonly<Record<string, number>> = { FP16: 65504, FP32: 3.4028234663852886e38, FP64: Number.MAX_VALUE };

const WHOLE = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** One value's text as a value of `datatype`, by the grammar above. */
export function parseText(datatype: V2Datatype, text: string): ValueResult {
  if (datatype === 'BYTES') return { ok: true, value: text };
  const t = text.trim();
  if (t === '') return { ok: true, value: null };
  switch (datatype) {
    case 'BOOL': {
      const b = parseBoolText(t);
      return b === undefined ? { ok: false, error: `'${clip(t)}' is not true, false, 1 or 0` } : { ok: true, value: b };
    }
    case 'FP16': case 'FP32': case 'FP64': {
      const v = parseFloatText(t);
      if (v === undefined) return { ok: false, error: `'${clip(t)}' is not a number (${datatype})` };
      const max = FLOAT_MAX[datatype] ?? Number.MAX_VALUE;
      if (Number.isFinite(v) && Math.abs(v) > max) return { ok: false, error: `${clip(t)} is out of range for ${datatype} (largest ${max})` };
      return { ok: true, value: v };
    }
    default: {
      if (!WHOLE.test(t)) return { ok: false, error: `'${clip(t)}' is not a whole number (${datatype})` };
      const v = BigInt(t);
      const problem = intRangeProblem(datatype, v);
      if (problem) return { ok: false, error: problem };
      return { ok: true, value: datatype === 'INT64' || datatype === 'UINT64' ? v : Number(v) };
    }
  }
}

/** Why a whole number does not fit an integer datatype, or undefined when it does. */
export function intRangeProblem(datatype: V2Datatype, v: bigint): string | undefined {
  const range = INT_RANGE[datatype];
  if (!range) return `${datatype} is not an integer datatype`;
  return v < range[0] || v > range[1] ? `${v} is out of range for ${datatype} (${range[0]} to ${range[1]})` : undefined;
}

/** A float in text: decimal or scientific, `nan`, `inf`, `infinity` (any case, optional sign). */
export function parseFloatText(t: string): number | undefined {
  if (DECIMAL.test(t)) return Number(t);
  switch (t.toLowerCase()) {
    case 'nan': case '+nan': case '-nan': return NaN;
    case 'inf': case '+inf': case 'infinity': case '+infinity': return Infinity;
    case '-inf': case '-infinity': return -Infinity;
    default: return undefined;
  }
}

function parseBoolText(t: string): boolean | undefined {
  switch (t.toLowerCase()) {
    case 'true': case '1': return true;
    case 'false': case '0': return false;
    default: return undefined;
  }
}

/** Texts a hand-typed cell may use for a missing value (not in text columns). */
const TYPED_MISSING = new Set(['null', 'none', 'na', 'n/a', '<na>']);
const TYPED_TRUE = new Set(['yes', 'y', 't']);
const TYPED_FALSE = new Set(['no', 'n', 'f']);

/**
 * A cell typed by hand in the panel (grid, tensor text): the grammar above, plus `yes`/`no`/`y`/`n`/
 * `t`/`f` for bools, `NA`/`null`/`none`/`n/a`/`<NA>` for a missing value, `_` between digits, and
 * `3.0` for the whole number 3. `null` is a missing value.
 */
export function parseTypedCell(datatype: V2Datatype, text: string | null): ValueResult {
  if (text === null) return { ok: true, value: null };
  if (datatype === 'BYTES') return { ok: true, value: text };
  const t = text.trim();
  const lower = t.toLowerCase();
  if (TYPED_MISSING.has(lower)) return { ok: true, value: null };
  if (datatype === 'BOOL') {
    const spelled = TYPED_TRUE.has(lower) ? 'true' : TYPED_FALSE.has(lower) ? 'false' : t;
    const r = parseText(datatype, spelled);
    return r.ok ? r : { ok: false, error: `'${clip(t)}' is not a bool (true/false, 1/0, yes/no)` };
  }
  const digits = /^[+-]?[\d.]/.test(t) ? t.replace(/_/g, '') : t;
  const whole = datatype.startsWith('INT') || datatype.startsWith('UINT') ? /^([+-]?\d+)\.0*$/.exec(digits)?.[1] : undefined;
  return parseText(datatype, whole ?? digits);
}

export function clip(t: string): string {
  return t.length > 40 ? `${t.slice(0, 40)}...` : t;
}
