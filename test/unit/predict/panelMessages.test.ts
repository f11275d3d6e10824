import * as assert from 'assert';
import {
  MAX_WINDOW_ROWS,
  parseToExtension,
  parseToWebview,
  webviewState,
  type ToExtension,
  type ToWebview,
} from '../../../src/shared/panelMessages';

function accepted(value: unknown): ToExtension {
  const r = parseToExtension(value);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.value;
}

function rejected(value: unknown, pattern: RegExp): void {
  const r = parseToExtension(value);
  assert.ok(!r.ok, `accepted ${JSON.stringify(value)}`);
  assert.match(r.error, pattern);
}

describe('panel messages', () => {
  describe('webview -> extension', () => {
    it('accepts every well-formed message', () => {
      const good: ToExtension[] = [
        { type: 'ready' },
        { type: 'refreshTargets' },
        { type: 'connect', targetId: 'c-1' },
        { type: 'connect', address: 'unix:///tmp/m.sock', model: 'churn' },
        { type: 'send', requestId: 'r1', input: { source: 'grid', columns: [{ name: 'x', cells: ['1', null, '2.5'] }] } },
        { type: 'send', requestId: 'r2', input: { source: 'tensors', tensors: [{ name: 't', datatype: 'FP32', shape: [2, -1], text: '[[1,2],[3,4]]' }] } },
        { type: 'send', requestId: 'r3', input: { source: 'loaded', inputId: 'in-1' } },
        { type: 'getRows', tableId: 't-1', start: 0, count: MAX_WINDOW_ROWS },
        { type: 'loadFile' },
        { type: 'editLoaded', inputId: 'in-1' },
        { type: 'openFrame', file: 'model.py', line: 12 },
        { type: 'resend', historyId: 'h1' },
        { type: 'compare', a: 'h1', b: 'h2' },
        { type: 'saveSample', historyId: 'h1', name: 'churn smoke-1' },
        { type: 'copyGrpcurl', historyId: 'h1' },
        { type: 'showHistoryEntry', historyId: 'h1' },
        { type: 'log', level: 'error', text: 'boom' },
      ];
      for (const m of good) assert.deepStrictEqual(accepted(m), m);
    });

    it('rejects what is not a message object', () => {
      for (const v of [null, undefined, 42, 'ready', [], [{ type: 'ready' }]]) rejected(v, /message|type/);
      rejected({}, /no string "type"/);
      rejected({ type: 7 }, /no string "type"/);
      rejected({ type: 'deleteEverything' }, /unknown message type 'deleteEverything'/);
    });

    it('rejects unknown keys, so a typo surfaces instead of being ignored', () => {
      rejected({ type: 'ready', extra: 1 }, /unknown key 'extra'/);
      rejected({ type: 'getRows', tableId: 't', start: 0, count: 1, cout: 2 }, /unknown key 'cout'/);
    });

    it('rejects wrong types and names the field', () => {
      rejected({ type: 'getRows', tableId: 't', start: '0', count: 10 }, /getRows\.start: expected a number, got string/);
      rejected({ type: 'openFrame', file: 'model.py', line: 1.5 }, /openFrame\.line: expected a whole number/);
      rejected({ type: 'openFrame', file: '', line: 1 }, /openFrame\.file: string shorter than 1/);
      rejected({ type: 'connect', targetId: 5 }, /connect\.targetId: expected a string/);
      rejected({ type: 'log', level: 'fatal', text: 'x' }, /log\.level: expected "info" \| "warn" \| "error"/);
    });

    it('rejects out-of-range numbers and oversized windows', () => {
      rejected({ type: 'getRows', tableId: 't', start: -1, count: 10 }, /start: -1 is below 0/);
      rejected({ type: 'getRows', tableId: 't', start: 0, count: MAX_WINDOW_ROWS + 1 }, /count: .* is above/);
      rejected({ type: 'getRows', tableId: 't', start: 0, count: 0 }, /count: 0 is below 1/);
      rejected({ type: 'getRows', tableId: 't', start: Number.NaN, count: 1 }, /expected a number/);
    });

    it('rejects ids and sample names that could escape a folder or a command line', () => {
      rejected({ type: 'resend', historyId: '../../etc' }, /historyId.*does not match/);
      rejected({ type: 'saveSample', historyId: 'h1', name: '../model' }, /name.*does not match/);
      rejected({ type: 'saveSample', historyId: 'h1', name: 'a/b' }, /name.*does not match/);
      rejected({ type: 'saveSample', historyId: 'h1', name: '' }, /name: string shorter/);
    });

    it('checks nested payloads down to the cell, naming the path', () => {
      rejected(
        { type: 'send', requestId: 'r', input: { source: 'grid', columns: [{ name: 'x', cells: ['1', 2] }] } },
        /input\.columns\[0\]\.cells\[1\]: expected a string/,
      );
      rejected(
        { type: 'send', requestId: 'r', input: { source: 'tensors', tensors: [{ name: 't', datatype: 'FLOAT', shape: [1], text: '1' }] } },
        /datatype: expected "BOOL"/,
      );
      rejected({ type: 'send', requestId: 'r', input: { source: 'disk', path: '/etc/passwd' } }, /source/);
      rejected({ type: 'send', requestId: 'r', input: { source: 'tensors', tensors: [{ name: 't', datatype: 'FP32', shape: [-2], text: '1' }] } }, /shape\[0\]: -2 is below -1/);
    });
  });

  describe('extension -> webview', () => {
    it('accepts well-formed messages, optional fields absent or present', () => {
      const good: ToWebview[] = [
        { type: 'targets', targets: [{ id: 'c1', label: 'churn', detail: 'container', address: 'unix:///s', kind: 'container' }] },
        { type: 'connection', address: 'unix:///s', server: 'pyml 0.1.0' },
        {
          type: 'connection',
          address: 'unix:///s',
          server: 'pyml',
          schema: { model: 'm', version: '1', platform: 'pyml', kind: 'dataframe', inputs: [{ name: 'x', datatype: 'FP64', shape: [-1], text: false }], outputs: [] },
        },
        { type: 'result', requestId: 'r', historyId: 'h', table: { tableId: 't', rows: 1, columns: [{ name: 'y', datatype: 'FP64', shape: '[1]', nulls: 0 }] }, timings: { encodeMs: 0.1, roundTripMs: 2, decodeMs: 0.1 }, sizes: { requestBytes: 8, responseBytes: 8 } },
        {
          type: 'failed',
          requestId: 'r',
          failure: {
            status: 'UNKNOWN',
            message: 'ValueError: bad',
            error: { type: 'ValueError', message: 'bad', phase: 'predict', frames: [{ file: 'model.py', line: 3, function: 'predict', code: 'raise', inModel: true, linked: true }], traceback: 'Traceback...' },
          },
        },
        { type: 'rows', tableId: 't', start: 0, rows: [['1', null]] },
        { type: 'notice', level: 'warn', text: 'x' },
      ];
      for (const m of good) {
        const r = parseToWebview(m);
        assert.ok(r.ok, r.ok ? '' : r.error);
        assert.deepStrictEqual(r.value, m);
      }
    });

    it('rejects malformed messages from the extension too', () => {
      const bad = [
        { type: 'rows', tableId: 't', start: 0, rows: [[1]] },
        { type: 'result', requestId: 'r', historyId: 'h', table: { tableId: 't', rows: -1, columns: [] }, timings: { encodeMs: 0, roundTripMs: 0, decodeMs: 0 }, sizes: { requestBytes: 0, responseBytes: 0 } },
        { type: 'connection', address: 'a', server: 's', schema: { model: 'm', version: '', platform: '', kind: 'matrix', inputs: [], outputs: [] } },
        { type: 'notice', level: 'info' },
      ];
      for (const m of bad) assert.ok(!parseToWebview(m).ok, JSON.stringify(m));
    });

    it('drops optional keys given as undefined', () => {
      const r = parseToWebview({ type: 'connection', address: 'a', server: 's', error: undefined });
      assert.ok(r.ok);
      assert.deepStrictEqual(Object.keys(r.value), ['type', 'address', 'server']);
    });
  });

  it('checks the saved webview state', () => {
    assert.ok(webviewState.check({ address: 'unix:///s' }, '').ok);
    assert.ok(!webviewState.check({ address: 3 }, '').ok);
  });
});
