/**
 * Export Dockerfile: the exported folder builds with exactly the command the export prints (plain
 * `docker build` through the docker CLI, the real engine), and the image serves; a model with data
 * gets its data layer below the code, as the extension's own build does.
 */
import * as assert from 'assert';
import { execFile } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EXPORT_MARKER, exportBuildContext } from '../../src/container/exportContext';
import { prepareBuild } from '../../src/container/imageBuild';
import { LABEL } from '../../src/container/labels';
import { startModel } from '../../src/container/runContainer';
import { buildSettings, Cleanup, copyFixture, predictX, requireBaseImage, runSettings, testEngine } from './helpers';

function shell(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', command], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout + stderr);
    });
  });
}

describe('container: Export Dockerfile', function () {
  this.timeout(300_000);
  const cleanup = new Cleanup();

  before(requireBaseImage);
  after(() => cleanup.run());

  it('exports a folder that the printed `docker build` command builds, and the image serves', async () => {
    const engine = await testEngine();
    const { folder, name } = await copyFixture('identity-df', cleanup);
    await fs.mkdir(path.join(folder, 'data'));
    await fs.writeFile(path.join(folder, 'data', 'factor.txt'), '4\n');
    await fs.writeFile(
      path.join(folder, 'model.py'),
      `import pandas as pd
from pyml import DataFrameModel


class IdentityModel(DataFrameModel):
    def __init__(self) -> None:
        self.factor = float(open(self.data_path("factor.txt")).read())

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"x": df["x"] * self.factor, "label": df["label"]})
`,
    );
    await fs.mkdir(path.join(folder, '__pycache__'));
    await fs.writeFile(path.join(folder, '__pycache__', 'model.cpython-311.pyc'), 'stale');
    const prepared = await prepareBuild(folder, buildSettings, true);
    cleanup.image(prepared.tag);
    const target = cleanup.dir(await fs.mkdtemp(path.join(os.tmpdir(), 'build-export-')));
    const exported = await exportBuildContext(prepared, buildSettings.runtimeDir, path.join(target, `${name} docker`));

    assert.strictEqual(exported.command, `docker build -t pyml/${name}:0.1.0 '${path.join(target, `${name} docker`)}'`);
    const listing = (await fs.readdir(exported.folder)).sort();
    assert.deepStrictEqual(listing, ['.dockerignore', EXPORT_MARKER, 'Dockerfile', 'model', 'model-data', 'runtime']);
    assert.deepStrictEqual((await fs.readdir(path.join(exported.folder, 'model-data', 'data'))).sort(), ['factor.txt']);
    assert.ok(!(await fs.readdir(path.join(exported.folder, 'model'))).includes('data'), 'the data is not in model/ again');
    assert.ok(!(await fs.readdir(path.join(exported.folder, 'model'))).includes('__pycache__'), 'caches are left out');
    const dockerfile = await fs.readFile(path.join(exported.folder, 'Dockerfile'), 'utf8');
    assert.ok(dockerfile.indexOf('COPY model-data/') < dockerfile.indexOf('COPY model/'), 'the data layer is below the code');
    assert.ok(!dockerfile.includes(LABEL.folder), 'no host folder label in an exported Dockerfile');

    // Exactly the printed command, through the docker CLI.
    const output = await shell(exported.command);
    assert.match(output, new RegExp(`Successfully tagged pyml/${name}:0.1.0`));
    const model = cleanup.container(await startModel(engine, { folder, manifest: prepared.manifest, image: prepared.tag, mode: 'run', settings: runSettings }));
    assert.deepStrictEqual(await predictX(model, [1, 2.5]), [4, 10]);
    await model.stop();

    // Exporting again replaces the earlier export; a folder that is not one is refused.
    const again = await exportBuildContext(prepared, buildSettings.runtimeDir, exported.folder);
    assert.strictEqual(again.command, exported.command);
    const other = path.join(target, 'not-an-export');
    await fs.mkdir(other);
    await fs.writeFile(path.join(other, 'notes.txt'), 'mine');
    await assert.rejects(exportBuildContext(prepared, buildSettings.runtimeDir, other), /is not empty and is not an earlier export/);
    await assert.rejects(exportBuildContext(prepared, buildSettings.runtimeDir, path.join(folder, 'export')), /inside the model folder/);
  });
});
