/**
 * Failed builds point at the offending line: a requirement pip cannot install, a Debian package apt
 * cannot find. Cancelling a build really stops it (its step's container goes away).
 */
import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as path from 'path';
import { buildImage, prepareBuild } from '../../src/container/imageBuild';
import { BuildCancelledError, BuildFailedError } from '../../src/container/containerErrors';
import { buildSettings, Cleanup, copyFixture, requireBaseImage, testEngine, waitFor } from './helpers';

describe('container: build failures', function () {
  this.timeout(180_000);
  const cleanup = new Cleanup();

  before(requireBaseImage);
  after(() => cleanup.run());

  it('puts a requirement pip cannot install on its requirements.txt line', async () => {
    const engine = await testEngine();
    const { folder } = await copyFixture('identity-df', cleanup);
    await fs.writeFile(path.join(folder, 'requirements.txt'), '# deps\nnumpy\n\nnonexistent-pkg==1.0  # not on any index\n');
    const prepared = await prepareBuild(folder, buildSettings);
    cleanup.image(prepared.tag);
    const failure = await buildImage(engine, prepared, buildSettings, { network: 'none' }).then(
      () => assert.fail('the build should fail'),
      (err: unknown) => err,
    );
    assert.ok(failure instanceof BuildFailedError, String(failure));
    assert.match(failure.message, /pip could not install the model's requirements\.txt/);
    assert.deepStrictEqual(
      failure.diagnostics.map((d) => [d.file, d.line]),
      [['requirements.txt', 3]],
    );
    assert.match(failure.diagnostics[0]?.message ?? '', /nonexistent-pkg/);
    assert.match(failure.instruction ?? '', /pip install/);
  });

  it('puts a package apt cannot find on its packages.txt line', async () => {
    const engine = await testEngine();
    const { folder } = await copyFixture('identity-df', cleanup);
    // The apt mirror is reachable from builds here: apt-get update works, the package does not exist.
    await fs.writeFile(path.join(folder, 'packages.txt'), '# tools\nnonexistent-deb-pkg-pyml\n');
    const prepared = await prepareBuild(folder, buildSettings);
    cleanup.image(prepared.tag);
    const failure = await buildImage(engine, prepared, buildSettings).then(
      () => assert.fail('the build should fail'),
      (err: unknown) => err,
    );
    assert.ok(failure instanceof BuildFailedError, String(failure));
    assert.deepStrictEqual(
      failure.diagnostics.map((d) => [d.file, d.line]),
      [['packages.txt', 1]],
    );
    assert.match(failure.diagnostics[0]?.message ?? '', /Unable to locate package nonexistent-deb-pkg-pyml/);
  });

  it('stops the build and its step container when cancelled', async () => {
    const engine = await testEngine();
    const { folder } = await copyFixture('identity-df', cleanup);
    // pip retries an unreachable index for several seconds: a step that is surely still running.
    await fs.writeFile(path.join(folder, 'requirements.txt'), 'nonexistent-pkg==1.0\n');
    const prepared = await prepareBuild(folder, buildSettings);
    cleanup.image(prepared.tag);
    const pipStep = prepared.dockerfile.steps.findIndex((s) => s.role === 'model-requirements') + 1;
    const abort = new AbortController();
    let current = 0;
    let stepContainer: string | undefined;
    const build = buildImage(engine, prepared, buildSettings, {
      network: 'none',
      signal: abort.signal,
      onEvent: (e) => {
        if (e.type === 'step') current = e.step;
        const running = e.type === 'line' ? /^ ---> Running in ([0-9a-f]+)$/.exec(e.text)?.[1] : undefined;
        if (running && current === pipStep) {
          stepContainer = running;
          abort.abort();
        }
      },
    });
    await assert.rejects(build, BuildCancelledError);
    assert.ok(stepContainer, 'the pip step started');
    const container = engine.docker.getContainer(stepContainer);
    await waitFor(
      'the cancelled step container to stop',
      async () => container.inspect().then((i) => !i.State.Running, () => true),
      20_000,
    );
  });
});
