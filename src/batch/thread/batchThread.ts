/**
 * The batch thread's entry (bundled as dist/batchThread.js): runs one batch run (run.ts) with a gRPC
 * client of its own to the model container, and reports progress and the outcome to the extension.
 * Reading, encoding, decoding and writing millions of rows happen here, not on the extension host's
 * thread, and in a heap of their own whose young generation the extension bounds (runInThread.ts).
 */
import { isMainThread, parentPort, workerData, type MessagePort } from 'worker_threads';
import { V2Client } from '../../protocol/v2client';
import type { ModelInferRequest, ModelInferResponse } from '../../protocol/v2types';
import { openSource } from '../readers';
import { checkInput, runBatch, type Predictor } from '../run';
import type { TableSource } from '../../tables/source';
import { toWire } from './errorWire';
import type { FromThread, ThreadRun, ToThread } from './protocol';

/** Each request with its deadline, cancelled with the run; answers written out go back to the client. */
function clientPredictor(client: V2Client, timeoutMs: number): Predictor {
  const predict = (request: ModelInferRequest, signal: AbortSignal): Promise<ModelInferResponse> => client.modelInfer(request, { deadlineMs: timeoutMs, signal });
  return Object.assign(predict, {
    recycle: (response: ModelInferResponse) => {
      client.recycle(response);
    },
  });
}

async function serve(run: ThreadRun, port: MessagePort): Promise<void> {
  const post = (message: FromThread): void => {
    port.postMessage(message);
  };
  const cancel = new AbortController();
  const onMessage = (message: unknown): void => {
    if ((message as Partial<ToThread> | null)?.type === 'cancel') cancel.abort();
  };
  port.on('message', onMessage);
  const client = new V2Client(run.client.address, run.client.options);
  let source: TableSource | undefined;
  try {
    source = await openSource(run.input);
    const plan = checkInput(run.model, source.fields, run.keys);
    const result = await runBatch({
      model: run.model,
      source,
      plan,
      predictor: clientPredictor(client, run.requestTimeoutMs),
      output: run.output,
      format: run.format,
      rowsPerBatch: run.rowsPerBatch,
      ...(run.inFlight !== undefined ? { inFlight: run.inFlight } : {}),
      ...(run.rowGroupRows !== undefined ? { rowGroupRows: run.rowGroupRows } : {}),
      signal: cancel.signal,
      onProgress: (progress) => {
        post({ type: 'progress', progress });
      },
    });
    post({ type: 'done', result });
  } catch (err) {
    post({ type: 'failed', error: toWire(err) });
  } finally {
    // The thread ends once its regions are unregistered and removed and the connection is closed.
    await source?.close().catch(() => undefined);
    await client.shutdown();
    port.off('message', onMessage); // nothing keeps the thread alive now: it exits
  }
}

if (!isMainThread && parentPort) void serve(workerData as ThreadRun, parentPort);
