/**
 * What the driver (`python3 -m pyml dask-run`, runtime/pyml/dask_job.py) prints on stdout, one JSON
 * object a line, declared once here and checked as it is read.
 */
import type { ModelErrorReport } from '../protocol/modelError';

export type DriverEvent =
  | { readonly event: 'partitions'; readonly total: number; readonly files: number }
  | { readonly event: 'connected'; readonly scheduler: string; readonly dashboard: string | null }
  | {
      readonly event: 'workers';
      readonly count: number;
      readonly workers: readonly string[];
      readonly model: string;
      readonly version: string;
      readonly image: string | null;
      readonly content: string;
    }
  | {
      readonly event: 'progress';
      readonly done: number;
      readonly total: number;
      readonly rows: number;
      readonly rows_per_second: number;
      readonly workers: number;
      readonly seconds: number;
    }
  | {
      readonly event: 'done';
      readonly output: string;
      readonly rows: number;
      readonly partitions: number;
      readonly seconds: number;
      readonly rows_per_second: number;
      readonly workers: number;
    }
  | {
      readonly event: 'error';
      readonly message: string;
      readonly partition?: number;
      readonly rows?: string;
      readonly path?: string;
      readonly report?: ModelErrorReport | null;
      readonly refused?: readonly string[];
    }
  | { readonly event: 'cancelled'; readonly message: string };

const FIELDS: Record<DriverEvent['event'], readonly string[]> = {
  partitions: ['total'],
  connected: ['scheduler'],
  workers: ['count', 'model', 'content'],
  progress: ['done', 'total', 'rows', 'rows_per_second', 'workers'],
  done: ['output', 'rows', 'partitions', 'seconds'],
  error: ['message'],
  cancelled: ['message'],
};

/** The event a stdout line holds, or undefined for any other line. */
export function parseDriverEvent(line: string): DriverEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const kind = record['event'];
  if (typeof kind !== 'string' || !(kind in FIELDS)) return undefined;
  for (const field of FIELDS[kind as DriverEvent['event']]) if (!(field in record)) return undefined;
  return value as DriverEvent;
}
