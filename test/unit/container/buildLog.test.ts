import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
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

/**
 * Real output of pip 23.0.1 and apt 2.6.1 in pyml-base:bookworm (test/fixtures/build-logs), as the
 * failing RUN step prints it. The pip logs come from local wheels and sdists (`--find-links`, some
 * with `--no-index`) or from a build without network.
 */
describe('explainFailure on real pip and apt logs', () => {
  const REPO = path.resolve(__dirname, '..', '..', '..', '..');
  const fixture = (name: string): string[] => fs.readFileSync(path.join(REPO, 'test', 'fixtures', 'build-logs', name), 'utf8').replace(/\n$/, '').split('\n');
  const failingWith = (step: number, file: string): BuildLog => {
    const log = new BuildLog();
    log.feed({ stream: `Step ${step}/5 : ${STEPS[step - 1]?.instruction ?? ''}\n` });
    for (const l of fixture(file)) log.feed({ stream: `\u001b[91m${l}\n\u001b[0m` });
    log.feed({ error: "The command '/bin/sh -c python3 -m pip ...' returned a non-zero code: 1" });
    return log;
  };
  const pip = (file: string, requirements: string) => explainFailure(failingWith(4, file), STEPS, { requirements });
  const apt = (file: string, packages: string) => explainFailure(failingWith(2, file), STEPS, { packages });
  const at = (out: { diagnostics: { file: string; line: number }[] }) => out.diagnostics.map((d) => `${d.file}:${d.line + 1}`);

  it('a version pip cannot find: on its line, with the versions there are', () => {
    const out = pip('pip-no-version.log', 'numpy\nbeta==3.0\n');
    assert.deepStrictEqual(at(out), ['requirements.txt:2']);
    assert.strictEqual(out.diagnostics[0]?.message, 'pip: Could not find a version that satisfies the requirement beta==3.0 (from versions: 1.0, 2.0)\nNo matching distribution found for beta==3.0');
    assert.strictEqual(out.message, "pip could not install the model's requirements.txt: Could not find a version that satisfies the requirement beta==3.0 (from versions: 1.0, 2.0)");
  });

  it('without network: on the requirement pip tried to fetch, saying the index was out of reach', () => {
    const out = pip('pip-offline.log', '# deps\nnumpy\n\nnonexistent-pkg==1.0  # not on any index\n');
    assert.deepStrictEqual(at(out), ['requirements.txt:4']);
    assert.strictEqual(
      out.diagnostics[0]?.message,
      'pip: Could not find a version that satisfies the requirement nonexistent-pkg==1.0 (from versions: none)\nNo matching distribution found for nonexistent-pkg==1.0 (the build has no network access to the package index)',
    );
    assert.match(out.message, /nonexistent-pkg==1\.0 \(from versions: none\) \(the build has no network access to the package index\)$/);
  });

  it('conflicting pins (ResolutionImpossible): on both sides, with what pip says caused it', () => {
    const out = pip('pip-conflict.log', '# pinned\nalpha==1.0\nbeta==2.0\n');
    assert.deepStrictEqual(at(out), ['requirements.txt:2', 'requirements.txt:3']);
    for (const d of out.diagnostics) {
      assert.match(d.message, /conflicting dependencies\. The conflict is caused by: The user requested beta==2\.0; alpha 1\.0 depends on beta==1\.0/);
    }
    assert.match(out.message, /: Cannot install -r \/opt\/conflict\.txt \(line 2\) and beta==2\.0 because/);
  });

  it('a wheel that fails to build (a C extension that does not compile): on that package', () => {
    const out = pip('pip-wheel.log', 'numpy\nfastmath==0.3\n');
    assert.deepStrictEqual(at(out), ['requirements.txt:2']);
    assert.strictEqual(out.diagnostics[0]?.message, 'pip: Failed building wheel for fastmath');
  });

  it('a build dependency pip cannot install: on the package that needs it, not on what its subprocess printed', () => {
    // The nested pip's "No matching distribution found for setuptools>=61" is about a build dependency.
    const out = pip('pip-build-deps.log', 'setuptools\nnumpy\npyproj-demo==0.1\n');
    assert.deepStrictEqual(at(out), ['requirements.txt:3']);
    assert.strictEqual(
      out.diagnostics[0]?.message,
      'pip: pip subprocess to install build dependencies did not run successfully. (the build has no network access to the package index)',
    );
  });

  it("apt-get: unknown package, no installation candidate, version not found, each on its packages.txt line", () => {
    const out = apt('apt-missing.log', '# tools\npython\ncurl=9.9\nlibnope-pyml\n');
    assert.deepStrictEqual(
      out.diagnostics.map((d) => [d.line, d.message]),
      [
        [1, "apt-get: Package 'python' has no installation candidate"],
        [2, "apt-get: Version '9.9' for 'curl' was not found"],
        [3, 'apt-get: Unable to locate package libnope-pyml'],
      ],
    );
    assert.strictEqual(out.message, "apt-get could not install packages.txt: Version '9.9' for 'curl' was not found");
  });

  it('apt-get without network: on the first package, saying the mirror was out of reach', () => {
    const out = apt('apt-offline.log', '# tools\ncurl\n');
    assert.deepStrictEqual(at(out), ['packages.txt:2']);
    assert.match(out.diagnostics[0]?.message ?? '', /^apt-get: Failed to fetch http:\/\/deb\.debian\.org\/.*\nUnable to fetch some archives.*\(the build has no network access to the Debian mirror\)$/s);
    assert.match(out.message, /Temporary failure resolving 'deb\.debian\.org' \(the build has no network access to the Debian mirror\)$/);
  });
});
