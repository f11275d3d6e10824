/**
 * The batch thread's failures as plain data (src/batch/thread/errorWire.ts): each crosses a real
 * structured clone (as postMessage sends it) and comes back as the class it left as, with its fields
 * and its message, so that the error explanation treats a thread's failure as an in-thread one.
 */
import * as assert from 'assert';
import * as grpc from '@grpc/grpc-js';
import { BatchCancelledError, BatchFailedError, SchemaMismatchError } from '../../../src/batch/batchErrors';
import { fromWire, toWire } from '../../../src/batch/thread/errorWire';
import { CodecError } from '../../../src/protocol/arrowCodec';
import type { ModelErrorReport } from '../../../src/protocol/modelError';
import { V2Error } from '../../../src/protocol/v2client';
import { InputError } from '../../../src/tables/errors';
import { explainError } from '../../../src/userError';

function across(err: unknown): Error {
  return fromWire(structuredClone(toWire(err)));
}

const report: ModelErrorReport = {
  type: 'ValueError',
  message: "cannot score the label 'boom'",
  phase: 'predict',
  frames: [{ file: 'model.py', line: 13, function: 'predict', code: 'raise ValueError(...)', inModel: true }],
  traceback: 'Traceback (most recent call last):\n  File "/model/model.py", line 13, in predict\nValueError: boom',
  truncated: false,
};

describe('batch thread errors across postMessage (errorWire)', () => {
  it('BatchFailedError keeps its rows and its V2Error cause with the model report', () => {
    const cause = new V2Error('ModelInfer', grpc.status.INVALID_ARGUMENT, 'bad', report);
    const back = across(new BatchFailedError(3, 20, 30, cause));
    assert.ok(back instanceof BatchFailedError);
    assert.deepStrictEqual([back.batch, back.rowStart, back.rowEnd], [3, 20, 30]);
    assert.ok(back.cause instanceof V2Error);
    assert.strictEqual(back.cause.codeName, 'INVALID_ARGUMENT');
    assert.deepStrictEqual(back.cause.report, report);
    assert.strictEqual(back.message, new BatchFailedError(3, 20, 30, cause).message);
    // The explanation offers the model's frame (Open model.py:13) as for a failure on the extension's thread.
    const actions = explainError(back, { folder: '/m' }).actions;
    assert.deepStrictEqual(actions, explainError(new BatchFailedError(3, 20, 30, cause), { folder: '/m' }).actions);
    assert.ok(actions.some((a) => a.kind === 'openFile' && a.line === 13), JSON.stringify(actions));
  });

  it('a connection failure stays one (UNAVAILABLE, the unreachable-worker mark)', () => {
    const cause = new V2Error('ModelInfer', grpc.status.UNAVAILABLE, 'connect ENOENT', undefined);
    cause.unreachableWorker = true;
    const back = across(new BatchFailedError(1, 0, 10, cause));
    assert.ok(back instanceof BatchFailedError && back.cause instanceof V2Error);
    assert.ok(back.cause.isConnectionFailure && back.cause.unreachableWorker);
    assert.strictEqual(back.cause.report, undefined);
  });

  it('cancel, schema mismatch, input and codec errors come back as their classes', () => {
    const cancelled = across(new BatchCancelledError(1234));
    assert.ok(cancelled instanceof BatchCancelledError && cancelled.rowsDone === 1234);
    const schema = across(new SchemaMismatchError([{ column: 'x', problem: 'is missing' }], ['a', 'b']));
    assert.ok(schema instanceof SchemaMismatchError);
    assert.deepStrictEqual([schema.problems, schema.inputColumns], [[{ column: 'x', problem: 'is missing' }], ['a', 'b']]);
    assert.strictEqual(schema.message, new SchemaMismatchError([{ column: 'x', problem: 'is missing' }], ['a', 'b']).message);
    const input = across(new InputError('/data/in.csv: row 7: expected 3 fields'));
    assert.ok(input instanceof InputError && input.message === '/data/in.csv: row 7: expected 3 fields');
    const codec = across(new BatchFailedError(2, 10, 20, new CodecError('y', 'the answer has 3 rows for a batch of 10')));
    assert.ok(codec instanceof BatchFailedError && codec.cause instanceof CodecError);
    assert.deepStrictEqual([codec.cause.tensor, codec.cause.message], ['y', 'y: the answer has 3 rows for a batch of 10']);
  });

  it('anything else keeps its name, message and stack; a thrown non-error its text', () => {
    const err = new RangeError('out of range');
    const back = across(err);
    assert.deepStrictEqual([back.name, back.message, back.stack], ['RangeError', 'out of range', err.stack]);
    assert.strictEqual(across('just text').message, 'just text');
  });
});
