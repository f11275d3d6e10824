/**
 * What the extension and a batch thread say to each other (batchThread.ts runs in the thread,
 * runInThread.ts starts it). Everything here is plain data: it crosses by structured clone.
 */
import type { V2ClientOptions } from '../../protocol/v2client';
import type { BatchProgress, BatchResult } from '../run';
import type { RequestModel } from '../request';
import type { OutputFormat } from '../writers/sink';
import type { WireError } from './errorWire';

/** One run, handed to the thread as its workerData. */
export interface ThreadRun {
  /** An input file or dataset folder; the thread opens it itself (sources hold file handles). */
  readonly input: { readonly kind: 'file'; readonly path: string };
  readonly model: RequestModel;
  readonly keys: readonly string[];
  readonly output: string;
  readonly format: OutputFormat;
  readonly rowsPerBatch: number;
  readonly inFlight?: number;
  readonly rowGroupRows?: number;
  /** The model container's address and how its client is made (ModelContainer.clientSpec). */
  readonly client: { readonly address: string; readonly options: V2ClientOptions };
  /** Deadline of each request, in milliseconds. */
  readonly requestTimeoutMs: number;
}

export type ToThread = { readonly type: 'cancel' };

export type FromThread =
  | { readonly type: 'progress'; readonly progress: BatchProgress }
  | { readonly type: 'done'; readonly result: BatchResult }
  | { readonly type: 'failed'; readonly error: WireError };
