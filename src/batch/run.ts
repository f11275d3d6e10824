/**
 * A batch run: read the input in batches, send each through the model, write keys and outputs.
 *
 *   source --batches--> request --predictor--> answer --> sink (temporary file) --commit--> output
 *
 * Memory is bounded whatever the input size: the reader holds one chunk (a Parquet row group, a few
 * thousand CSV rows), `inFlight` batches (default 4) are on their way to or from the model, and the writer holds
 * one row group. Batches are written in input order. The first failure stops the run: requests in
 * flight are cancelled, the temporary file is deleted, and the error names the batch's rows. Cancel
 * (the signal) does the same and throws BatchCancelledError. Plain TypeScript: no VS Code, no Docker
 * (the predictor is any function that answers a ModelInferRequest).
 */
import * as arrow from 'apache-arrow';
import type { ModelInferRequest, ModelInferResponse } from '../protocol/v2types';
import { InputError, messageOf } from '../tables/errors';
import type { SourceField } from '../tables/fields';
import { batchesOf, readSchema, tableOf, type TableSource, type SourceBatch } from '../tables/source';
import { BatchCancelledError, BatchFailedError } from './batchErrors';
import { fromInferResponse, toInferRequest, type RequestModel } from './request';
import { planBatch, type BatchPlan } from './inputPlan';
import { openSink, type BatchSink, type OutputFormat } from './writers/sink';

/** Answers one request; must honour the signal (cancel the call when it aborts). */
export interface Predictor {
  (request: ModelInferRequest, signal: AbortSignal): Promise<ModelInferResponse>;
  /** Takes an answer back once the run holds no view of its outputs (their memory is reused). */
  readonly recycle?: (response: ModelInferResponse) => void;
}

export interface BatchProgress {
  readonly rowsDone: number;
  readonly batchesDone: number;
  readonly elapsedMs: number;
  /** Rows per second since the first row was sent. */
  readonly rowsPerSecond: number;
  /** Rows in all, when the input says up front. */
  readonly totalRows?: number;
  /** How far through the input, 0..1, when the reader knows. */
  readonly fraction?: number;
}

export interface BatchRunOptions {
  readonly model: RequestModel;
  readonly source: TableSource;
  readonly plan: BatchPlan;
  readonly predictor: Predictor;
  readonly output: string;
  readonly format: OutputFormat;
  readonly rowsPerBatch: number;
  /**
   * Batches sent before the oldest answer is awaited (default 4, setting pyml.batch.requestsInFlight):
   * at least 2 keep the model busy while an answer travels back, and more keep several model
   * workers busy (the client spreads concurrent requests over them).
   */
  readonly inFlight?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: BatchProgress) => void;
  /** Parquet row group size of the output. */
  readonly rowGroupRows?: number;
}

export interface BatchResult {
  readonly output: string;
  readonly rows: number;
  readonly batches: number;
  readonly bytes: number;
  readonly elapsedMs: number;
}

/** Checks the input against the model, before anything is started or sent (re-exported for callers). */
export function checkInput(model: Pick<RequestModel, 'kind' | 'inputs' | 'outputs'>, fields: readonly SourceField[], keys: readonly string[]): BatchPlan {
  return planBatch(model, fields, keys);
}

interface Pending {
  readonly batch: number;
  readonly rowStart: number;
  readonly rowEnd: number;
  readonly keys: readonly arrow.Vector[];
  readonly answer: Promise<Answer>;
  readonly fraction: number | undefined;
  /** Hands the batch's input memory back to the reader (SourceBatch.release). */
  readonly release: () => void;
}

interface Answer {
  readonly outputs: readonly arrow.Vector[];
  readonly response: ModelInferResponse;
}

export async function runBatch(options: BatchRunOptions): Promise<BatchResult> {
  const { model, source, plan, predictor, signal } = options;
  if (signal?.aborted) throw new BatchCancelledError(0);
  const inFlight = Math.max(1, options.inFlight ?? 4);
  const stop = new AbortController();
  const onAbort = (): void => {
    stop.abort();
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  const sink: BatchSink = await openSink({
    output: options.output,
    format: options.format,
    schema: plan.outputSchema,
    ...(options.rowGroupRows !== undefined ? { rowGroupRows: options.rowGroupRows } : {}),
  });
  const inputSchema = readSchema(plan.inputs);
  const inputIndex = plan.inputs.map((c) => plan.read.findIndex((r) => r.name === c.name));
  const keyIndex = plan.keys.map((c) => plan.read.findIndex((r) => r.name === c.name));
  const pending: Pending[] = [];
  // Batches written to the sink: their answers go back to the predictor, and their inputs (keys may
  // be among the columns written) to the reader, once the sink holds no view of them.
  const written: { rowsDone: number; response: ModelInferResponse; release: () => void }[] = [];
  const recycle = predictor.recycle;
  const started = performance.now();
  let rowsDone = 0;
  let batchesDone = 0;
  let batchNo = 0;

  const settle = async (): Promise<void> => {
    const first = pending.shift();
    if (!first) return;
    let answer: Answer;
    try {
      answer = await first.answer;
    } catch (err) {
      if (signal?.aborted) throw new BatchCancelledError(rowsDone);
      throw new BatchFailedError(first.batch, first.rowStart, first.rowEnd, err);
    }
    await sink.write(tableOf(plan.outputSchema, [...first.keys, ...answer.outputs]));
    rowsDone += first.rowEnd - first.rowStart;
    if (sink.releasedRows) {
      written.push({ rowsDone, response: answer.response, release: first.release });
      const released = sink.releasedRows();
      for (let w = written[0]; w && w.rowsDone <= released; w = written[0]) {
        written.shift();
        recycle?.(w.response);
        w.release();
      }
    }
    batchesDone++;
    const elapsedMs = performance.now() - started;
    options.onProgress?.({
      rowsDone,
      batchesDone,
      elapsedMs,
      rowsPerSecond: elapsedMs > 0 ? (rowsDone * 1000) / elapsedMs : 0,
      ...(source.totalRows !== undefined ? { totalRows: source.totalRows } : {}),
      ...(first.fraction !== undefined ? { fraction: first.fraction } : {}),
    });
  };

  const batches = batchesOf(source, plan.read, options.rowsPerBatch, stop.signal);
  try {
    for (;;) {
      let next: IteratorResult<SourceBatch>;
      try {
        next = await batches.next();
      } catch (err) {
        throw readError(source, err, batchNo * options.rowsPerBatch);
      }
      if (next.done) break;
      const batch = next.value;
      if (signal?.aborted) throw new BatchCancelledError(rowsDone);
      const rows = batch.table.numRows;
      const columns = plan.read.map((_, j) => batch.table.getChildAt(j) as arrow.Vector);
      const inputs = tableOf(inputSchema, inputIndex.map((j) => columns[j] as arrow.Vector));
      const keys = keyIndex.map((j) => columns[j] as arrow.Vector);
      const entry = {
        batch: ++batchNo,
        rowStart: batch.rowStart,
        rowEnd: batch.rowStart + rows,
        keys,
        fraction: batch.fraction,
        release: batch.release,
      };
      const answer = (async () => {
        const request = toInferRequest(model, inputs, `batch-${entry.batch}`);
        const response = await predictor(request, stop.signal);
        return { outputs: fromInferResponse(model, response, rows), response };
      })();
      answer.catch(() => undefined); // settled in order by settle(); never unhandled
      pending.push({ ...entry, answer });
      while (pending.length >= inFlight) await settle();
    }
    while (pending.length > 0) await settle();
    if (signal?.aborted) throw new BatchCancelledError(rowsDone);
    const bytes = await sink.commit();
    return { output: options.output, rows: rowsDone, batches: batchesDone, bytes, elapsedMs: performance.now() - started };
  } catch (err) {
    stop.abort();
    await Promise.allSettled(pending.map((p) => p.answer));
    await batches.return(undefined).catch(() => undefined);
    await sink.abort();
    if (signal?.aborted && !(err instanceof BatchCancelledError)) throw new BatchCancelledError(rowsDone);
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** A failure while reading: InputError as it is (it names its row), anything else with where it happened. */
function readError(source: TableSource, err: unknown, rowsRead: number): Error {
  if (err instanceof InputError) return err;
  return new InputError(`reading ${source.description} failed after ${rowsRead} rows: ${messageOf(err)}`);
}
