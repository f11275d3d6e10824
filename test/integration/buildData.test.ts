/**
 * A model with data builds in two images (imageBuild.ts): the data image, once per content, and the
 * model image on top of it from a context of the code only. After a model.py edit the image answers
 * with the new code and the same data, without building the data image again; after a data edit a
 * new data image is built and the old one removed.
 */
import * as assert from 'assert';
import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import { contextFiles } from '../../src/container/buildContext';
import { codeStageDockerfile } from '../../src/container/dockerfile';
import { buildImage, dataImagesOf, prepareBuild } from '../../src/container/imageBuild';
import { LABEL } from '../../src/container/labels';
import { startModel } from '../../src/container/runContainer';
import { buildSettings, Cleanup, copyFixture, predictX, requireBaseImage, runSettings, testEngine } from './helpers';

const MODEL = (version: number): string => `import hashlib
import pandas as pd
from pyml import DataFrameModel


class IdentityModel(DataFrameModel):
    def __init__(self) -> None:
        self.factor = float(open(self.data_path("factor.txt")).read())
        with open(self.data_path("weights.bin"), "rb") as f:
            self.digest = hashlib.sha256(f.read()).hexdigest()

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        # version ${version}: the code's own number, the data's factor, the weights' first hex digit
        return pd.DataFrame({"x": df["x"] * self.factor + ${version * 1000} + int(self.digest[0], 16) * 0, "label": df["label"]})
`;

describe('container: data in an image of its own', function () {
  this.timeout(300_000);
  const cleanup = new Cleanup();

  before(requireBaseImage);
  after(() => cleanup.run());

  it('rebuilds after a model.py edit from the code alone, and answers with the new code and the same data', async () => {
    const engine = await testEngine();
    const { folder } = await copyFixture('identity-df', cleanup);
    await fs.mkdir(path.join(folder, 'data'));
    await fs.writeFile(path.join(folder, 'data', 'factor.txt'), '3\n');
    await fs.writeFile(path.join(folder, 'data', 'weights.bin'), randomBytes(8 * 1024 * 1024));
    await fs.writeFile(path.join(folder, 'model.py'), MODEL(1));

    const first = await prepareBuild(folder, buildSettings);
    cleanup.image(first.tag);
    assert.ok(first.dockerfile.dataSteps > 0, 'a data layer for data/');
    const one = await buildImage(engine, first, buildSettings, { network: 'none' });
    assert.ok(one.dataImage?.built, 'the first build makes the data image');
    const dataTag = one.dataImage.tag;
    assert.match(dataTag, /^pyml-data\/identity-df-[0-9a-f]+:[0-9a-f]{16}$/);
    const dataId = (await engine.docker.getImage(dataTag).inspect()).Id;
    let model = cleanup.container(await startModel(engine, { folder, manifest: first.manifest, image: one.tag, mode: 'run', settings: runSettings }));
    assert.deepStrictEqual(await predictX(model, [1, 2]), [1003, 1006]);
    await model.stop();

    await fs.writeFile(path.join(folder, 'model.py'), MODEL(2));
    const second = await prepareBuild(folder, buildSettings);
    // What the code build sends: the Dockerfile and the code, no data file.
    const codeContext = await contextFiles({ dockerfile: codeStageDockerfile(second.dockerfile, dataTag), modelFolder: folder, runtimeDir: buildSettings.runtimeDir, stage: 'code' });
    assert.deepStrictEqual(codeContext.map((f) => f.name).sort(), ['Dockerfile', 'model/model.py', 'model/pyml.yaml', 'model/requirements.txt']);
    const two = await buildImage(engine, second, buildSettings, { network: 'none' });
    assert.strictEqual(two.dataImage?.built, false, 'the data image is reused');
    assert.strictEqual(two.dataImage.tag, dataTag);
    assert.strictEqual((await engine.docker.getImage(dataTag).inspect()).Id, dataId, 'the data image was not rebuilt');
    assert.ok(two.log.some((l) => l.includes(`from the data image ${dataTag}`)), two.log.join('\n'));
    for (let step = 1; step <= second.dockerfile.dataSteps; step++) assert.ok(two.cachedSteps.includes(step), `step ${step} from the data image`);
    const modelStep = second.dockerfile.steps.findIndex((s) => s.role === 'model') + 1;
    assert.ok(!two.cachedSteps.includes(modelStep), 'the code layer is rebuilt');
    model = cleanup.container(await startModel(engine, { folder, manifest: second.manifest, image: two.tag, mode: 'run', settings: runSettings }));
    assert.deepStrictEqual(await predictX(model, [1, 2]), [2003, 2006], 'the new code with the same data');
    await model.stop();

    // A data edit: a new data image, the old one removed (nothing uses it any more).
    await fs.writeFile(path.join(folder, 'data', 'factor.txt'), '5\n');
    const three = await buildImage(engine, await prepareBuild(folder, buildSettings), buildSettings, { network: 'none' });
    assert.ok(three.dataImage?.built, 'changed data makes a new data image');
    assert.notStrictEqual(three.dataImage.tag, dataTag);
    const left = await dataImagesOf(engine, folder);
    assert.deepStrictEqual(left.map((i) => i.tags).flat(), [three.dataImage.tag], 'only the current data image is kept');
    const image = await engine.docker.getImage(three.tag).inspect();
    assert.strictEqual(image.Config.Labels[LABEL.folder], folder);
    model = cleanup.container(await startModel(engine, { folder, manifest: second.manifest, image: three.tag, mode: 'run', settings: runSettings }));
    assert.deepStrictEqual(await predictX(model, [1, 2]), [2005, 2010], 'the new data');
    await model.stop();
  });
});
