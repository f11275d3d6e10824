import * as assert from 'assert';
import * as path from 'path';
import { changeKind, errorLocation, MergingRunner } from '../../../src/container/reload';
import { innermostModelFrame, parseModelErrorReport, summarizeModelError } from '../../../src/protocol/modelError';

/** A promise the test resolves by hand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('MergingRunner', () => {
  it('runs once for a single request', async () => {
    let runs = 0;
    const runner = new MergingRunner(() => Promise.resolve(++runs));
    assert.strictEqual(await runner.request(), 1);
    assert.strictEqual(runs, 1);
  });

  it('merges requests made while a run is under way into one more run', async () => {
    const gates = [gate(), gate()];
    let runs = 0;
    const runner = new MergingRunner(async () => {
      const n = runs++;
      await gates[n]?.promise;
      return n;
    });
    const first = runner.request();
    const merged = [runner.request(), runner.request(), runner.request()];
    assert.strictEqual(runs, 1);
    gates[0]?.open();
    assert.strictEqual(await first, 0);
    gates[1]?.open();
    assert.deepStrictEqual(await Promise.all(merged), [1, 1, 1]);
    assert.strictEqual(runs, 2);
    assert.strictEqual(runner.busy, false);
  });

  it('runs the queued reload even when the one before failed', async () => {
    let runs = 0;
    const g = gate();
    const runner = new MergingRunner(async () => {
      runs++;
      if (runs === 1) {
        await g.promise;
        throw new Error('broken');
      }
      return 'ok';
    });
    const first = runner.request();
    const second = runner.request();
    g.open();
    await assert.rejects(first, /broken/);
    assert.strictEqual(await second, 'ok');
  });
});

const REPORT = JSON.stringify({
  type: 'ZeroDivisionError',
  message: 'division by zero',
  phase: 'reload',
  frames: [
    { file: '/opt/pyml/lib/pyml/loader.py', line: 80, function: 'load', code: 'cls()', in_model: false },
    { file: 'model.py', line: 9, function: '__init__', code: 'self.x = helper()', in_model: true },
    { file: 'lib/helpers.py', line: 3, function: 'helper', code: 'return 1 / 0', in_model: true },
    { file: '/usr/lib/python3/dist-packages/numpy/x.py', line: 5, function: 'f', code: '', in_model: false },
  ],
  traceback: 'Traceback (most recent call last): ...',
  truncated: false,
});

describe('model error reports', () => {
  it('parses the pyml-error-bin trailer', () => {
    const report = parseModelErrorReport(Buffer.from(REPORT, 'utf8'));
    assert.ok(report);
    assert.strictEqual(report.frames.length, 4);
    assert.deepStrictEqual(innermostModelFrame(report), { file: 'lib/helpers.py', line: 3, function: 'helper', code: 'return 1 / 0', inModel: true });
    assert.strictEqual(summarizeModelError(report), 'ZeroDivisionError: division by zero (lib/helpers.py:3 in helper)');
  });

  it('returns undefined for bytes that are not a report', () => {
    assert.strictEqual(parseModelErrorReport('not json'), undefined);
    assert.strictEqual(parseModelErrorReport('{"message": "no type"}'), undefined);
    assert.strictEqual(parseModelErrorReport('[1,2]'), undefined);
  });

  it('points at the innermost model frame as a zero-based line of a host file', () => {
    const report = parseModelErrorReport(REPORT);
    assert.ok(report);
    assert.deepStrictEqual(errorLocation(report, '/work/churn'), {
      file: path.join('/work/churn', 'lib', 'helpers.py'),
      line: 2,
      message: 'ZeroDivisionError: division by zero',
    });
  });

  it('finds the line of a SyntaxError (the runtime appends it as a frame)', () => {
    const report = parseModelErrorReport(
      JSON.stringify({ type: 'SyntaxError', message: "expected ':'", phase: 'reload', frames: [{ file: 'model.py', line: 7, function: '<module>', code: 'def f()', in_model: true }], traceback: '' }),
    );
    assert.ok(report);
    assert.deepStrictEqual(errorLocation(report, '/m')?.line, 6);
  });

  it('puts a manifest error on pyml.yaml', () => {
    const report = parseModelErrorReport(JSON.stringify({ type: 'ManifestError', message: "'kind' must be one of: dataframe, tensor", phase: 'reload', frames: [] }));
    assert.ok(report);
    assert.deepStrictEqual(errorLocation(report, '/m'), { file: path.join('/m', 'pyml.yaml'), line: 0, message: "ManifestError: 'kind' must be one of: dataframe, tensor" });
  });

  it('has no location when no frame is in the model', () => {
    const report = parseModelErrorReport(JSON.stringify({ type: 'ImportError', message: 'x', frames: [{ file: '/usr/lib/x.py', line: 1, function: 'f', code: '', in_model: false }] }));
    assert.ok(report);
    assert.strictEqual(errorLocation(report, '/m'), undefined);
  });

  it('never leaves the model folder through ../ in a frame', () => {
    const report = parseModelErrorReport(JSON.stringify({ type: 'E', message: '', frames: [{ file: '../../etc/passwd', line: 1, function: 'f', code: '', in_model: true }] }));
    assert.ok(report);
    assert.strictEqual(errorLocation(report, '/m')?.file, path.join('/m', 'etc', 'passwd'));
  });
});

describe('changeKind', () => {
  it('reloads code and data, offers a rebuild for dependencies, ignores the rest', () => {
    assert.strictEqual(changeKind('/m', '/m/model.py'), 'reload');
    assert.strictEqual(changeKind('/m', '/m/data/weights.json'), 'reload');
    assert.strictEqual(changeKind('/m', '/m/pyml.yaml'), 'reload');
    assert.strictEqual(changeKind('/m', '/m/requirements.txt'), 'rebuild');
    assert.strictEqual(changeKind('/m', '/m/packages.txt'), 'rebuild');
    assert.strictEqual(changeKind('/m', '/other/model.py'), 'ignore');
    assert.strictEqual(changeKind('/m', '/m/__pycache__/model.cpython-311.pyc'), 'ignore');
  });
});
