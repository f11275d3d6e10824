/**
 * How a batch run reads to the user: row counts, durations and rates in words that make sense at
 * every size ("5 rows in 340 ms", not "5 rows in 0.0 s (147 rows/s)"). Plain functions, no VS Code.
 */

/** "1 row", "5 rows", "1,234,567 rows". */
export function rowsText(rows: number): string {
  return `${rows.toLocaleString('en-US')} row${rows === 1 ? '' : 's'}`;
}

/** "340 ms", "2.4 s", "24 s", "3 min 12 s", "1 h 5 min". */
export function durationText(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '0 ms';
  if (ms < 1000) return `${Math.max(1, Math.round(ms))} ms`;
  const seconds = ms / 1000;
  if (seconds < 9.95) return `${seconds.toFixed(1)} s`;
  if (seconds < 59.5) return `${Math.round(seconds)} s`;
  const totalSeconds = Math.round(seconds);
  if (totalSeconds < 3600) {
    const s = totalSeconds % 60;
    return `${Math.floor(totalSeconds / 60)} min${s ? ` ${s} s` : ''}`;
  }
  const minutes = Math.round(totalSeconds / 60);
  const m = minutes % 60;
  return `${Math.floor(minutes / 60)} h${m ? ` ${m} min` : ''}`;
}

/** Below these a rate says nothing (a handful of rows in a few milliseconds). */
const RATE_MIN_ROWS = 1000;
const RATE_MIN_MS = 1000;

/** "18,200 rows/s" (3 significant digits), or undefined when the run was too small for a rate to mean anything. */
export function rateText(rows: number, ms: number): string | undefined {
  if (rows < RATE_MIN_ROWS || ms < RATE_MIN_MS) return undefined;
  const perSecond = (rows * 1000) / ms;
  return `${significant(perSecond).toLocaleString('en-US')} rows/s`;
}

function significant(n: number, digits = 3): number {
  if (n <= 0) return 0;
  const scale = 10 ** Math.max(0, Math.floor(Math.log10(n)) + 1 - digits);
  return Math.round(n / scale) * scale;
}

export interface DoneFacts {
  readonly rows: number;
  /** The output as the user knows it: a workspace-relative path, else the file name. */
  readonly output: string;
  /** The whole run as the user waited for it (build, start, predict). */
  readonly totalMs: number;
  /** The time rows were flowing through the model (for the rate). */
  readonly predictMs: number;
}

/** "Wrote 5 rows to batch-output/x.csv in 9.1 s." / "... in 1 min 4 s (18,200 rows/s)." */
export function doneMessage(f: DoneFacts): string {
  const rate = rateText(f.rows, f.predictMs);
  return `Wrote ${rowsText(f.rows)} to ${f.output} in ${durationText(f.totalMs)}${rate ? ` (${rate})` : ''}.`;
}

export interface ProgressFacts {
  readonly rowsDone: number;
  readonly totalRows?: number;
  readonly elapsedMs: number;
}

/** "1,234 of 10,000 rows · 5,400 rows/s" (the rate once it means something). */
export function progressText(p: ProgressFacts): string {
  const of = p.totalRows !== undefined ? ` of ${p.totalRows.toLocaleString('en-US')}` : '';
  const rate = rateText(p.rowsDone, p.elapsedMs);
  return `${p.rowsDone.toLocaleString('en-US')}${of} rows${rate ? ` · ${rate}` : ''}`;
}
