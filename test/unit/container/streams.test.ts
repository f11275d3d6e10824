import * as assert from 'assert';
import { toEvent } from '../../../src/container/events';
import { JsonLines } from '../../../src/container/jsonLines';
import { LogDemuxer } from '../../../src/container/logs';
import { findRequirement, hasRequirements, parseAptPackages, parseRequirements } from '../../../src/container/dependencyFiles';
import { fromInferParameter, toInferParameters } from '../../../src/protocol/v2types';
import { normalizeAddress } from '../../../src/protocol/v2client';

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('LogDemuxer', () => {
  it('splits multiplexed frames into lines, across chunk boundaries', () => {
    const bytes = Buffer.concat([frame(1, 'pyml: serving m\npart'), frame(2, 'Traceback\n'), frame(1, 'ial\n')]);
    const demux = new LogDemuxer();
    const lines = [];
    for (let i = 0; i < bytes.length; i += 5) lines.push(...demux.push(bytes.subarray(i, i + 5)));
    lines.push(...demux.end());
    assert.deepStrictEqual(lines, [
      { stream: 'stdout', text: 'pyml: serving m' },
      { stream: 'stderr', text: 'Traceback' },
      { stream: 'stdout', text: 'partial' },
    ]);
  });
});

describe('JsonLines', () => {
  it('parses newline-separated JSON split anywhere, keeping non-JSON lines as text', () => {
    const lines = new JsonLines();
    const out = [...lines.push('{"a":1}\r\n{"b"'), ...lines.push(':2}\nplain\n'), ...lines.push('{"c":3}'), ...lines.end()];
    assert.deepStrictEqual(out, [{ a: 1 }, { b: 2 }, 'plain', { c: 3 }]);
  });
});

describe('toEvent', () => {
  it('keeps PyML container events and image events', () => {
    const c = toEvent({ Type: 'container', Action: 'die', Actor: { ID: 'abc', Attributes: { 'dev.pyml.name': 'churn', exitCode: '137' } } });
    assert.deepStrictEqual(c, { type: 'container', action: 'die', id: 'abc', attributes: { 'dev.pyml.name': 'churn', exitCode: '137' } });
    assert.strictEqual(toEvent({ Type: 'container', Action: 'start', Actor: { ID: 'x', Attributes: { image: 'nginx' } } }), undefined);
    assert.strictEqual(toEvent({ Type: 'image', Action: 'tag', Actor: { ID: 'sha256:1', Attributes: { name: 'pyml/churn:0.1.0' } } })?.action, 'tag');
    assert.strictEqual(toEvent({ Type: 'network', Action: 'connect' }), undefined);
    assert.strictEqual(toEvent('garbage'), undefined);
  });

  it('drops the detail after a colon in actions (exec_start: sh)', () => {
    assert.strictEqual(toEvent({ Type: 'container', Action: 'exec_start: sh -c x', Actor: { ID: 'a', Attributes: { 'dev.pyml.name': 'm' } } })?.action, 'exec_start');
  });
});

describe('requirements.txt and packages.txt', () => {
  it('reads requirement lines with names, skipping comments, options and blank lines', () => {
    const text = '# top\n-r base.txt\nNumPy>=1.20  # fast\n\nscikit_learn[alldeps]==1.2 ; python_version>"3.8"\nfoo @ https://x/foo.whl\nhttps://x/bar.whl\nlong-pkg \\\n  >=1\n';
    assert.deepStrictEqual(
      parseRequirements(text).map((r) => [r.line, r.name]),
      [[1, undefined], [2, 'numpy'], [4, 'scikit-learn'], [5, 'foo'], [6, undefined], [7, 'long-pkg']],
    );
    assert.strictEqual(findRequirement(text, 'Scikit.Learn')?.line, 4);
  });

  it('treats a file of comments as empty (pip is not called)', () => {
    assert.strictEqual(hasRequirements(''), false);
    assert.strictEqual(hasRequirements('# nothing yet\n\n   \n'), false);
    assert.strictEqual(hasRequirements('numpy\n'), true);
  });

  it('reads packages.txt, several a line', () => {
    assert.deepStrictEqual(parseAptPackages('# tools\ncurl git  # vcs\nlibpq-dev=15.3-0+deb12u1\n').map((p) => [p.line, p.name, p.spec]), [
      [1, 'curl', 'curl'],
      [1, 'git', 'git'],
      [2, 'libpq-dev', 'libpq-dev=15.3-0+deb12u1'],
    ]);
  });
});

describe('V2 parameters and addresses', () => {
  it('maps plain values into the InferParameter oneof and back', () => {
    const params = toInferParameters({ content_type: 'pd', rows: 3, ratio: 0.5, strict: true, big: 2n ** 60n });
    assert.deepStrictEqual(params, {
      content_type: { string_param: 'pd' },
      rows: { int64_param: 3 },
      ratio: { double_param: 0.5 },
      strict: { bool_param: true },
      big: { int64_param: '1152921504606846976' },
    });
    assert.strictEqual(fromInferParameter({ int64_param: '1152921504606846976', parameter_choice: 'int64_param' }), 2n ** 60n);
    assert.strictEqual(fromInferParameter({ int64_param: '42', parameter_choice: 'int64_param' }), 42);
    // Decoded messages carry every field with defaults; parameter_choice says which one is set.
    assert.strictEqual(fromInferParameter({ bool_param: false, string_param: 'pd', parameter_choice: 'string_param' }), 'pd');
  });

  it('normalises socket paths to unix:/// addresses', () => {
    assert.strictEqual(normalizeAddress('/tmp/pyml-0/a/model.sock'), 'unix:///tmp/pyml-0/a/model.sock');
    assert.strictEqual(normalizeAddress('unix:/tmp/x.sock'), 'unix:///tmp/x.sock');
    assert.strictEqual(normalizeAddress('unix:///tmp/x.sock'), 'unix:///tmp/x.sock');
    assert.strictEqual(normalizeAddress('127.0.0.1:8001'), '127.0.0.1:8001');
    assert.strictEqual(normalizeAddress('http://localhost:8001'), 'localhost:8001');
  });
});
