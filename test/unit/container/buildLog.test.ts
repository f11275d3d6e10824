import * as assert from 'assert';
import { aptDiagnostics, BuildLog, explainFailure, JsonMessageSplitter, pipDiagnostics, type BuildEvent } from '../../../src/container/buildLog';
import type { DockerfileStep } from '../../../src/container/dockerfile';

/** The stream of a classic-builder build, as the engine sends it (captured from dockerd 20.10). */
function stream(lines: string[]): string {
  return lines.map((l) => JSON.stringify({ stream: l })).join('\r\n') + '\r\n';
}

const STEPS: DockerfileStep[] = [
  { role: 'base', instruction: 'FROM pyml-base:bookworm' },
  { role: 'apt', instruction: 'RUN apt-get update' },
  { role: 'model-requirements-copy', instruction: 'COPY model/requirements.txt /opt/pyml/model-requirements.txt' },
  { role: 'model-requirements', instruction: 'RUN python3 -m pip install -r /opt/pyml/model-requirements.txt' },
  { role: 'model', instruction: 'COPY model /opt/pyml/model' },
];

function feedAll(text: string, chunkSize = 7): { log: BuildLog; events: BuildEvent[] } {
  const log = new BuildLog();
  const splitter = new JsonMessageSplitter();
  const events: BuildEvent[] = [];
  for (let i = 0; i < text.length; i += chunkSize) for (const m of splitter.push(text.slice(i, i + chunkSize))) events.push(...log.feed(m));
  for (const m of splitter.end()) events.push(...log.feed(m));
  events.push(...log.end());
  return { log, events };
}

describe('BuildLog', () => {
  it('reads steps, cache hits and the image id from a stream split anywhere', () => {
    const text =
      stream(['Step 1/5 : FROM pyml-base:bookworm\n', ' ---> 8969c6f7b650\n', 'Step 2/5 : RUN apt-get update\n', ' ---> Using cache\n', ' ---> 396f41a67ca8\n']) +
      stream(['Step 3/5 : COPY model /opt/pyml/model\n', ' ---> 7a1b2c3d4e5f\n', 'Successfully built 7a1b2c3d4e5f\n', 'Successfully tagged pyml/churn:0.1.0\n']) +
      JSON.stringify({ aux: { ID: 'sha256:7a1b2c3d4e5f0000' } }) +
      '\n';
    const { log, events } = feedAll(text);
    assert.deepStrictEqual(
      events.filter((e) => e.type === 'step').map((e) => [e.step, e.total]),
      [[1, 5], [2, 5], [3, 5]],
    );
    assert.deepStrictEqual(log.cachedSteps, [2]);
    assert.strictEqual(log.imageId, 'sha256:7a1b2c3d4e5f0000');
    assert.strictEqual(log.error, undefined);
  });

  it('strips the colour codes the builder puts around stderr', () => {
    const { log } = feedAll(stream(['Step 1/1 : RUN x\n', '\u001b[91mERROR: No matching distribution found for foo\n', '\u001b[0mRemoving intermediate container abc\n']));
    assert.deepStrictEqual(log.current?.lines, ['ERROR: No matching distribution found for foo']);
  });

  it('keeps the error and the output of the failing step', () => {
    const text =
      stream(['Step 4/5 : RUN python3 -m pip install -r /opt/pyml/model-requirements.txt\n', ' ---> Running in ef742b7d1a42\n', 'ERROR: No matching distribution found for nope\n']) +
      JSON.stringify({ errorDetail: { code: 1, message: "The command '/bin/sh -c python3 -m pip' returned a non-zero code: 1" }, error: "The command '/bin/sh -c python3 -m pip' returned a non-zero code: 1" }) +
      '\n';
    const { log, events } = feedAll(text, 13);
    assert.strictEqual(log.current?.step, 4);
    assert.deepStrictEqual(log.current.lines, ['ERROR: No matching distribution found for nope']);
    assert.match(log.error ?? '', /returned a non-zero code: 1/);
    assert.ok(events.some((e) => e.type === 'error'));
  });
});

describe('explainFailure', () => {
  const failingAt = (step: number, lines: string[], error = "The command '/bin/sh -c ...' returned a non-zero code: 1") => {
    const log = new BuildLog();
    log.feed({ stream: `Step ${step}/5 : ${STEPS[step - 1]?.instruction ?? ''}\n` });
    for (const l of lines) log.feed({ stream: `${l}\n` });
    log.feed({ error });
    return log;
  };

  it('puts a missing distribution on its requirements.txt line (PEP 503 names)', () => {
    const requirements = '# deps\nnumpy>=1.20\n\nNonexistent_Pkg==1.0  # nowhere\npandas\n';
    const out = explainFailure(
      failingAt(4, [
        'Requirement already satisfied: numpy>=1.20 in /usr/lib/python3/dist-packages (from -r /opt/pyml/model-requirements.txt (line 2)) (1.24.2)',
        'ERROR: Could not find a version that satisfies the requirement nonexistent-pkg==1.0 (from versions: none)',
        'ERROR: No matching distribution found for nonexistent-pkg==1.0',
      ]),
      STEPS,
      { requirements },
    );
    assert.match(out.message, /^pip could not install the model's requirements\.txt: Could not find a version/);
    assert.deepStrictEqual(out.diagnostics.map((d) => [d.file, d.line]), [['requirements.txt', 3]]);
    assert.match(out.diagnostics[0]?.message ?? '', /No matching distribution found for nonexistent-pkg==1\.0/);
  });

  it('puts a missing Debian package on its packages.txt line', () => {
    const out = explainFailure(
      failingAt(2, ['Reading package lists...', 'E: Unable to locate package libnope']),
      STEPS,
      { packages: '# tools\ncurl\nlibnope git\n' },
    );
    assert.deepStrictEqual(out.diagnostics, [{ file: 'packages.txt', line: 2, message: 'apt-get: Unable to locate package libnope' }]);
    assert.match(out.message, /^apt-get could not install packages\.txt: Unable to locate package libnope/);
  });

  it('names the step for any other failure, without diagnostics', () => {
    const out = explainFailure(failingAt(5, [], 'COPY failed: file not found in build context'), STEPS, {});
    assert.deepStrictEqual(out.diagnostics, []);
    assert.match(out.message, /^the build failed at step 5\/5 \(COPY model \/opt\/pyml\/model\): COPY failed/);
  });

  it('explains a missing base image', () => {
    const out = explainFailure(failingAt(1, [], 'pull access denied for nope, repository does not exist'), STEPS, {});
    assert.match(out.message, /base image could not be used/);
  });
});

describe('pipDiagnostics', () => {
  it('uses the line pip names for an invalid requirement', () => {
    const out = pipDiagnostics(["ERROR: Invalid requirement: 'foo==bar=1' (from line 3 of /opt/pyml/model-requirements.txt)"], 'a\nb\nfoo==bar=1\n');
    assert.deepStrictEqual(out.map((d) => d.line), [2]);
  });

  it('marks both sides of a version conflict', () => {
    const out = pipDiagnostics(
      ['ERROR: Cannot install alpha==1.0 and beta==2.0 because these package versions have conflicting dependencies.'],
      'alpha==1.0\n# x\nbeta==2.0\n',
    );
    assert.deepStrictEqual(out.map((d) => d.line), [0, 2]);
  });

  it('falls back to the package pip was collecting when a build backend fails', () => {
    const out = pipDiagnostics(
      ['Collecting numpy (from -r /opt/pyml/model-requirements.txt (line 1))', 'Collecting weird-pkg', '  error: subprocess-exited-with-error', 'note: This error originates from a subprocess'],
      'numpy\nweird_pkg\n',
    );
    assert.deepStrictEqual(out.map((d) => d.line), [1]);
  });

  it('falls back to the first requirement when nothing names one', () => {
    assert.deepStrictEqual(pipDiagnostics(['ERROR: Could not install packages due to an OSError'], '\n# c\nnumpy\n').map((d) => d.line), [2]);
  });
});

describe('aptDiagnostics', () => {
  it('knows apt-get\'s other ways of saying a package is missing', () => {
    const out = aptDiagnostics(["E: Package 'python2' has no installation candidate", "E: Version '9.9' for 'curl' was not found"], 'python2\ncurl=9.9\n');
    assert.deepStrictEqual(out.map((d) => d.line), [0, 1]);
  });

  it('puts other apt failures on the first package', () => {
    const out = aptDiagnostics(['E: Failed to fetch http://deb.debian.org/...', 'E: Some index files failed to download.'], '# x\ncurl\n');
    assert.strictEqual(out.length, 1);
    assert.strictEqual(out[0]?.line, 1);
    assert.match(out[0].message, /Failed to fetch/);
  });
});
