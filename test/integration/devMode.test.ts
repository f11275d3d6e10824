/**
 * Dev mode against a real container: the model folder is bind-mounted, a reload picks up an edit
 * without a new image, a broken edit keeps the old model answering and points at the right line,
 * a container killed mid-request gives "model container exited", a model that cannot load fails
 * the start with its log, and a running model is found again from its labels.
 */
import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as path from 'path';
import { buildImage, prepareBuild, type PreparedBuild } from '../../src/container/imageBuild';
import { ContainerExitedError } from '../../src/container/containerErrors';
import type { ModelContainer } from '../../src/container/modelContainer';
import { errorLocation, MergingRunner } from '../../src/container/reload';
import { attachRunning, startModel } from '../../src/container/runContainer';
import { V2Error } from '../../src/protocol/v2client';
import { buildSettings, Cleanup, copyFixture, PROTO_PATH, predictX, requireBaseImage, runSettings, testEngine, waitFor } from './helpers';

const DOUBLING = `"""Edited in the test: doubles x."""
import pandas as pd
from pyml import DataFrameModel


class IdentityModel(DataFrameModel):
    def __init__(self) -> None:
        self.factor = 2.0

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"x": df["x"] * self.factor, "label": df["label"]})
`;

const SYNTAX_ERROR = `"""Edited in the test: a syntax error on line 7."""
import pandas as pd
from pyml import DataFrameModel


class IdentityModel(DataFrameModel):
    def __init__(self) -> None
        pass

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        return df
`;

const SLOW = `"""Edited in the test: announces the request, then holds it until the container is killed."""
import threading

import pandas as pd
from pyml import DataFrameModel


class IdentityModel(DataFrameModel):
    def __init__(self) -> None:
        pass

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        print("PREDICT-STARTED", flush=True)
        threading.Event().wait()  # blocks until the test kills the container
        return df
`;

describe('container: dev mode', function () {
  this.timeout(240_000);
  const cleanup = new Cleanup();
  let folder = '';
  let prepared: PreparedBuild;
  let imageId = '';

  before(async () => {
    await requireBaseImage();
    const engine = await testEngine();
    ({ folder } = await copyFixture('identity-df', cleanup));
    prepared = await prepareBuild(folder, buildSettings);
    cleanup.image(prepared.tag);
    imageId = (await buildImage(engine, prepared, buildSettings)).imageId;
  });
  after(() => cleanup.run());

  async function startDev(): Promise<ModelContainer> {
    const engine = await testEngine();
    return cleanup.container(await startModel(engine, { folder, manifest: prepared.manifest, image: prepared.tag, mode: 'dev', settings: runSettings }));
  }

  async function imagesOfModel(): Promise<string[]> {
    const engine = await testEngine();
    const images = await engine.docker.listImages({ filters: { label: [`dev.pyml.name=${prepared.manifest.name}`] } });
    return images.map((i) => i.Id);
  }

  it('reloads an edit without a new image; a broken edit keeps the old model and names file and line', async () => {
    const model = await startDev();
    assert.deepStrictEqual(await predictX(model, [1, 2]), [1, 2]);

    await fs.writeFile(path.join(folder, 'model.py'), DOUBLING);
    await model.reload();
    assert.deepStrictEqual(await predictX(model, [1, 2]), [2, 4]);
    assert.deepStrictEqual(await imagesOfModel(), [imageId], 'no new image');

    await fs.writeFile(path.join(folder, 'model.py'), SYNTAX_ERROR);
    const failure = await model.reload().then(
      () => assert.fail('the reload should fail'),
      (err: unknown) => err,
    );
    assert.ok(failure instanceof V2Error && failure.report, String(failure));
    assert.strictEqual(failure.report.type, 'SyntaxError');
    const location = errorLocation(failure.report, folder);
    assert.deepStrictEqual(location && [location.file, location.line], [path.join(folder, 'model.py'), 6]);
    // The old (doubling) model still answers.
    assert.deepStrictEqual(await predictX(model, [3]), [6]);
    assert.ok(await model.client.modelReady(prepared.manifest.name));

    // Overlapping saves merge: three requests while one runs make one more reload, not three.
    await fs.writeFile(path.join(folder, 'model.py'), DOUBLING.replace('self.factor = 2.0', 'self.factor = 3.0'));
    let reloads = 0;
    const runner = new MergingRunner(async () => {
      reloads++;
      await model.reload();
    });
    await Promise.all([runner.request(), runner.request(), runner.request(), runner.request()]);
    assert.strictEqual(reloads, 2);
    assert.deepStrictEqual(await predictX(model, [1]), [3]);
  });

  it('finds the running model again from its labels (as after a window reload)', async () => {
    const engine = await testEngine();
    const found = await attachRunning(engine, { protoPath: PROTO_PATH, maxMessageBytes: 64 * 1024 * 1024 });
    const mine = found.find((m) => m.info.folder === folder);
    try {
      assert.ok(mine, `found ${found.map((m) => m.info.folder).join(', ')}`);
      assert.strictEqual(mine.info.mode, 'dev');
      assert.strictEqual(mine.info.modelName, prepared.manifest.name);
      assert.deepStrictEqual(await predictX(mine, [1]), [3]);
    } finally {
      for (const m of found) m.close();
    }
  });

  it('gives "model container exited" to a request in flight when the container is killed', async () => {
    const model = await startDev();
    await fs.writeFile(path.join(folder, 'model.py'), SLOW);
    await model.reload();
    const request = predictX(model, [1]);
    request.catch(() => undefined);
    const engine = await testEngine();
    await waitFor('the slow predict to start', async () => {
      const logs = await model.container.logs({ stdout: true, stderr: true, follow: false, tail: 50 });
      return logs.toString('utf8').includes('PREDICT-STARTED');
    });
    await engine.docker.getContainer(model.info.id).kill();
    const failure = await request.then(
      () => assert.fail('the request should fail'),
      (err: unknown) => err,
    );
    assert.ok(failure instanceof ContainerExitedError, String(failure));
    assert.match(failure.message, /model container exited/);
    assert.strictEqual(failure.when, 'request');
    assert.strictEqual(failure.exitCode, 137);
    // Later calls say the same, at once.
    await assert.rejects(predictX(model, [1]), /model container exited/);
  });

  it('fails a start whose model cannot load with the tail of the container log', async () => {
    await fs.writeFile(path.join(folder, 'model.py'), 'import numpy\nimport no_such_module_pyml\n');
    const failure = await startDev().then(
      () => assert.fail('the start should fail'),
      (err: unknown) => err,
    );
    assert.ok(failure instanceof ContainerExitedError, String(failure));
    assert.strictEqual(failure.when, 'starting');
    assert.match(failure.message, /exited with code 3 while starting/);
    assert.match(failure.message, /no_such_module_pyml/);
    assert.ok(failure.logTail.some((l) => l.startsWith('PYML_ERROR_JSON ')), 'the structured report is in the log');
  });
});
