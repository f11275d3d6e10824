/**
 * Layer order: a rebuild after editing only model.py takes every dependency layer from the cache
 * (asserted on the builder's "Using cache" lines, not on time). The build runs with no network at
 * all, so a requirement the base image already satisfies provably needs no package index.
 */
import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as path from 'path';
import { buildImage, prepareBuild } from '../../src/container/imageBuild';
import type { StepRole } from '../../src/container/dockerfile';
import { buildSettings, Cleanup, copyFixture, requireBaseImage, testEngine } from './helpers';

describe('container: build cache', function () {
  this.timeout(180_000);
  const cleanup = new Cleanup();

  before(requireBaseImage);
  after(() => cleanup.run());

  it('rebuilds only the model layers after a model.py edit, with satisfied requirements and no network', async () => {
    const engine = await testEngine();
    const { folder } = await copyFixture('identity-df', cleanup);
    // Satisfied by the base image (Debian's python3-numpy / python3-pandas): pip must not need an index.
    await fs.writeFile(path.join(folder, 'requirements.txt'), '# satisfied by the base image\nnumpy\npandas>=1.0\n');
    const first = await prepareBuild(folder, buildSettings);
    cleanup.image(first.tag);
    // No cache for the first build: the requirements step really runs, with no network, and finds
    // every requirement installed, so pip is not called (runtime/pyml/satisfied.py).
    const one = await buildImage(engine, first, buildSettings, { network: 'none', noCache: true });
    const pipStep = first.dockerfile.steps.findIndex((s) => s.role === 'model-requirements') + 1;
    assert.ok(pipStep > 0, 'a pip step for a non-empty requirements.txt');
    assert.ok(
      one.log.some((l) => /model-requirements\.txt: every requirement is already installed/.test(l)),
      `the base image satisfied the requirements:\n${one.log.join('\n')}`,
    );

    await fs.appendFile(path.join(folder, 'model.py'), '\n# an edit to the model code only\n');
    const second = await prepareBuild(folder, buildSettings);
    assert.strictEqual(second.dockerfile.text, first.dockerfile.text, 'the Dockerfile does not depend on model.py');
    const two = await buildImage(engine, second, buildSettings, { network: 'none' });
    assert.notStrictEqual(two.imageId, one.imageId);

    const roleOf = (step: number): StepRole | undefined => second.dockerfile.steps[step - 1]?.role;
    const cachedRoles = new Set(two.cachedSteps.map(roleOf));
    for (const role of ['environment', 'user', 'model-requirements-copy', 'model-requirements', 'runtime'] as const) {
      assert.ok(cachedRoles.has(role), `step '${role}' comes from the cache (cached: ${two.cachedSteps.join(', ')})`);
    }
    const modelStep = second.dockerfile.steps.findIndex((s) => s.role === 'model') + 1;
    assert.ok(!two.cachedSteps.includes(modelStep), 'the model layer is rebuilt');
    // Everything before the model layer is cached.
    for (let step = 2; step < modelStep; step++) assert.ok(two.cachedSteps.includes(step), `step ${step} cached`);
    assert.ok(
      two.log.some((l) => /^ ---> Using cache$/.test(l)),
      'the builder printed its cache hits',
    );
  });
});
