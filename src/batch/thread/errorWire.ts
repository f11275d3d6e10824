/**
 * The failures of a batch run as plain data, so that they cross from the batch thread to the
 * extension's (postMessage clones data, not classes) and arrive as the classes they left as: the
 * error explanation (userError.ts) and the callers tell them apart by class and fields.
 */
import { CodecError } from '../../protocol/arrowCodec';
import type { ModelErrorReport } from '../../protocol/modelError';
import { V2Error } from '../../protocol/v2client';
import { InputError } from '../../tables/errors';
import { BatchCancelledError, BatchFailedError, SchemaMismatchError, type ColumnProblem } from '../batchErrors';

export type WireError =
  | { readonly kind: 'cancelled'; readonly rowsDone: number }
  | { readonly kind: 'failed'; readonly batch: number; readonly rowStart: number; readonly rowEnd: number; readonly cause: WireError }
  | { readonly kind: 'schema'; readonly problems: readonly ColumnProblem[]; readonly inputColumns: readonly string[] }
  | { readonly kind: 'input'; readonly message: string }
  | { readonly kind: 'codec'; readonly tensor: string; readonly message: string }
  | { readonly kind: 'v2'; readonly method: string; readonly code: V2Error['code']; readonly details: string; readonly report?: ModelErrorReport; readonly unreachableWorker: boolean }
  | { readonly kind: 'error'; readonly name: string; readonly message: string; readonly stack?: string };

export function toWire(err: unknown): WireError {
  if (err instanceof BatchCancelledError) return { kind: 'cancelled', rowsDone: err.rowsDone };
  if (err instanceof BatchFailedError) return { kind: 'failed', batch: err.batch, rowStart: err.rowStart, rowEnd: err.rowEnd, cause: toWire(err.cause) };
  if (err instanceof SchemaMismatchError) return { kind: 'schema', problems: err.problems.map((p) => ({ ...p })), inputColumns: [...err.inputColumns] };
  if (err instanceof InputError) return { kind: 'input', message: err.message };
  if (err instanceof CodecError) return { kind: 'codec', tensor: err.tensor, message: err.message.slice(err.tensor.length + 2) };
  if (err instanceof V2Error) return { kind: 'v2', method: err.method, code: err.code, details: err.details, unreachableWorker: err.unreachableWorker, ...(err.report ? { report: err.report } : {}) };
  if (err instanceof Error) return { kind: 'error', name: err.name, message: err.message, ...(err.stack !== undefined ? { stack: err.stack } : {}) };
  return { kind: 'error', name: 'Error', message: String(err) };
}

export function fromWire(wire: WireError): Error {
  switch (wire.kind) {
    case 'cancelled':
      return new BatchCancelledError(wire.rowsDone);
    case 'failed':
      return new BatchFailedError(wire.batch, wire.rowStart, wire.rowEnd, fromWire(wire.cause));
    case 'schema':
      return new SchemaMismatchError(wire.problems, wire.inputColumns);
    case 'input':
      return new InputError(wire.message);
    case 'codec':
      return new CodecError(wire.tensor, wire.message);
    case 'v2': {
      const err = new V2Error(wire.method, wire.code, wire.details, wire.report);
      err.unreachableWorker = wire.unreachableWorker;
      return err;
    }
    case 'error': {
      const err = new Error(wire.message);
      err.name = wire.name;
      if (wire.stack !== undefined) err.stack = wire.stack;
      return err;
    }
  }
}
