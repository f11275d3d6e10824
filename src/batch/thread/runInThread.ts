/**
 * Runs a batch in a worker thread of the extension host (batchThread.ts), and says how it went as
 * runBatch does: the same progress, the same result, the same error classes.
 *
 * Why a thread: a run of millions of rows spends seconds of CPU reading, encoding, decoding and
 * writing; on the extension host's own thread that would stall every extension for as long. And its
 * garbage lives in a heap of its own: V8 grows a busy heap's young generation to 16 MB semi-spaces,
 * which a long run then touches in full; here the young generation is bounded
 * (YOUNG_GENERATION_MB), so the memory a run holds does not depend on how many rows it reads, and it
 * is all given back when the thread ends.
 */
import { Worker } from 'worker_threads';
import type { ModelContainer } from '../../container/modelContainer';
import { BatchCancelledError, BatchFailedError } from '../batchErrors';
import type { BatchProgress, BatchResult } from '../run';
import { fromWire } from './errorWire';
import type { FromThread, ThreadRun, ToThread } from './protocol';

/**
 * The thread's young generation (V8 gives a third to each of its two semi-spaces): 2 MB semi-spaces
 * keep a run's own memory flat from 1M to 10M rows, at no cost in rows/s (bench/batch).
 */
export const YOUNG_GENERATION_MB = 6;

export interface ThreadOptions {
  /** The thread's script: dist/batchThread.js in the extension, out/src/batch/thread/batchThread.js in tests. */
  readonly script: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: BatchProgress) => void;
}

/** Runs `run` in a new thread; settles once the thread has ended (its files and regions are gone by then). */
export function runInThread(run: ThreadRun, options: ThreadOptions): Promise<BatchResult> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(new BatchCancelledError(0));
  return new Promise((resolve, reject) => {
    const worker = new Worker(options.script, { workerData: run, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    let outcome: { readonly result: BatchResult } | { readonly error: Error } | undefined;
    const onAbort = (): void => {
      worker.postMessage({ type: 'cancel' } satisfies ToThread);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (message: FromThread) => {
      if (message.type === 'progress') {
        try {
          options.onProgress?.(message.progress);
        } catch {
          // A progress display that fails does not stop the run (and must not throw in an event handler).
        }
      } else if (message.type === 'done') outcome = { result: message.result };
      else outcome = { error: fromWire(message.error) };
    });
    worker.on('error', (err) => {
      outcome ??= { error: new Error(`the batch thread failed: ${err.message}`, { cause: err }) };
    });
    worker.on('exit', (code) => {
      signal?.removeEventListener('abort', onAbort);
      if (!outcome) reject(new Error(`the batch thread stopped (exit code ${code}) before the run ended`));
      else if ('result' in outcome) resolve(outcome.result);
      else reject(outcome.error);
    });
  });
}

/**
 * Runs `run` in a thread against a model container: the thread makes its own client from the
 * container's (ModelContainer.clientSpec), and a batch that failed because the container stopped
 * says so with the container's log, as a call through the container would.
 */
export async function runInContainerThread(model: ModelContainer, run: Omit<ThreadRun, 'client'>, options: ThreadOptions): Promise<BatchResult> {
  try {
    return await runInThread({ ...run, client: model.clientSpec }, options);
  } catch (err) {
    if (!(err instanceof BatchFailedError)) throw err;
    const cause = await model.failureOf('request', err.cause, options.signal?.aborted ?? false);
    throw cause === err.cause ? err : new BatchFailedError(err.batch, err.rowStart, err.rowEnd, cause);
  }
}
