/**
 * Every template x kind of PyML: New Model, as a user gets it: rendered into a fresh folder, built
 * from the generated Dockerfile with NO network for the build (so the requirements must already be
 * satisfied by the base image), run, sent its samples/example.json over the Unix socket, and its
 * answer compared with the sample's expected output.
 * On both test base images: PYML_TEST_BASE_IMAGE (Debian 12: Python 3.11, numpy 1.24, pandas 1.5,
 * scikit-learn 1.2, torch 1.13) and PYML_TEST_NEW_BASE_IMAGE (Debian 13: Python 3.13, numpy 2.2,
 * pandas 2.2, scikit-learn 1.4, torch 2.6). A framework missing from an image fails, naming its package.
 */
import * as assert from 'assert';
import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildImage, prepareBuild } from '../../src/container/imageBuild';
import { startModel } from '../../src/container/runContainer';
import { renderTemplate, SAMPLE_FILE, templateKinds } from '../../src/scaffold/render';
import { compareOutputs, parseSample } from '../../src/scaffold/sample';
import type { TemplateId } from '../../src/scaffold/types';
import { BASE_IMAGE, buildSettings, Cleanup, NEW_BASE_IMAGE, requireBaseImage, runSettings, testEngine } from './helpers';
import { responseOutputs, sampleRequest } from './sampleRequest';

/** The Debian package each template's framework comes from in the base image. */
const FRAMEWORK: Record<TemplateId, { module: string; debian: string }> = {
  numpy: { module: 'numpy', debian: 'python3-numpy' },
  sklearn: { module: 'sklearn', debian: 'python3-sklearn' },
  torch: { module: 'torch', debian: 'python3-torch' },
};

/** The base images every template is proven on (the old and the new Python stack). */
const BASE_IMAGES = [...new Set([BASE_IMAGE, NEW_BASE_IMAGE])];

/** Whether python3 in a base image imports the module (a throwaway container, no network). */
async function baseImageHas(image: string, module: string): Promise<boolean> {
  const engine = await testEngine();
  const container = await engine.docker.createContainer({
    Image: image,
    Cmd: ['python3', '-c', `import ${module}`],
    NetworkDisabled: true,
    HostConfig: { NetworkMode: 'none', AutoRemove: false },
  });
  try {
    await container.start();
    const result = (await container.wait()) as { StatusCode: number };
    return result.StatusCode === 0;
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

for (const baseImage of BASE_IMAGES) {
  describe(`templates on ${baseImage}: render, build, run, answer the sample (real Docker)`, function () {
    this.timeout(300_000);
    const cleanup = new Cleanup();
    const available = new Map<TemplateId, boolean>();
    const settings = { ...buildSettings, baseImage };

    before(async () => {
      await requireBaseImage(baseImage);
      for (const id of Object.keys(FRAMEWORK) as TemplateId[]) available.set(id, await baseImageHas(baseImage, FRAMEWORK[id].module));
    });
    after(() => cleanup.run());

    for (const { template, kind } of templateKinds()) {
      it(`${template}/${kind}`, async () => {
        // The base images' recipe (scripts/lib/image.mjs) has every framework: one missing is a stale image.
        assert.ok(
          available.get(template),
          `${baseImage} cannot import ${FRAMEWORK[template].module} (${FRAMEWORK[template].debian}): rebuild it with \`npm run setup -- --only image\``,
        );
        const engine = await testEngine();
        const parent = cleanup.dir(await fs.mkdtemp(path.join(os.tmpdir(), 'pyml-tpl-')));
        const name = `tpl ${template} ${kind} ${randomBytes(3).toString('hex')}`;
        const files = renderTemplate(kind, template, name);
        const folder = path.join(parent, 'model');
        for (const f of files) {
          await fs.mkdir(path.dirname(path.join(folder, f.path)), { recursive: true });
          await fs.writeFile(path.join(folder, f.path), f.contents);
        }

        const prepared = await prepareBuild(folder, settings);
        cleanup.image(prepared.tag);
        const built = await buildImage(engine, prepared, settings, { network: 'none' });
        assert.ok(built.imageId, 'no image id');

        const model = cleanup.container(
          await startModel(engine, { folder, manifest: prepared.manifest, image: built.tag, mode: 'run', settings: runSettings }),
        );
        const sample = parseSample(files.find((f) => f.path === SAMPLE_FILE)?.contents as string);
        assert.ok(sample.expected);
        const response = await model.infer(sampleRequest(prepared.manifest, sample), { deadlineMs: 60_000 });
        const actual = responseOutputs(response);
        assert.deepStrictEqual(compareOutputs(sample.expected, actual), [], `answer: ${JSON.stringify(actual)}`);
        await model.stop(2);
      });
    }
  });
}
