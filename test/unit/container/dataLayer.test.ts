/**
 * The data layer of a model image, without Docker: which files are data, what each stage's context
 * holds, the data key (stable, by content, read again only when a stamp changes), the Dockerfile cut
 * into its data and code stages, the build's steps in words, the export command, and the pure parts
 * of the Models view's older images and of build problems that follow their line.
 */
import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { contextFiles, dataKey, DATA_FILE_BYTES, isDataFile } from '../../../src/container/buildContext';
import { stepProgress, stepPurpose } from '../../../src/container/buildLog';
import { codeStageDockerfile, dataStageDockerfile, generateDockerfile, wholeStep, type StepRole } from '../../../src/container/dockerfile';
import { buildCommand, shellQuote } from '../../../src/container/exportContext';
import { dataImageTag, manifestHash } from '../../../src/container/labels';
import { parseManifest } from '../../../src/model/manifest';

const MANIFEST = parseManifest(`name: churn-model
version: 0.1.0
model: model:ChurnModel
kind: dataframe
inputs:
  - {name: tenure, dtype: int64}
outputs:
  - {name: p, dtype: float64}
`).manifest;

function generated(hasData: boolean): ReturnType<typeof generateDockerfile> {
  assert.ok(MANIFEST);
  return generateDockerfile({
    manifest: MANIFEST,
    baseImage: 'python:3.13-slim',
    manifestHash: manifestHash(MANIFEST),
    aptPackages: [],
    modelRequirements: true,
    runtimeRequirements: true,
    maxMessageMB: 64,
    hasData,
  });
}

describe('the data layer', () => {
  let tmp = '';
  let runtime = '';
  let model = '';
  beforeEach(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'build-data-'));
    runtime = path.join(tmp, 'runtime');
    model = path.join(tmp, 'model');
    await fs.mkdir(path.join(runtime, 'pyml'), { recursive: true });
    await fs.writeFile(path.join(runtime, 'pyml', '__init__.py'), '');
    await fs.writeFile(path.join(runtime, 'requirements.txt'), 'grpcio\n');
    await fs.mkdir(path.join(model, 'data'), { recursive: true });
    await fs.mkdir(path.join(model, 'samples'));
    await fs.writeFile(path.join(model, 'model.py'), 'x = 1\n');
    await fs.writeFile(path.join(model, 'pyml.yaml'), 'name: m\n');
    await fs.writeFile(path.join(model, 'requirements.txt'), 'numpy\n');
    await fs.writeFile(path.join(model, 'data', 'weights.bin'), 'w');
    await fs.writeFile(path.join(model, 'samples', 'big.csv'), Buffer.alloc(DATA_FILE_BYTES, 1));
  });
  afterEach(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('is data/ and any file of 1 MiB or more, never the files the Dockerfile copies by name', () => {
    assert.ok(isDataFile({ name: 'data/a.bin', size: 1, type: 'file' }));
    assert.ok(isDataFile({ name: 'samples/big.csv', size: DATA_FILE_BYTES, type: 'file' }));
    assert.ok(!isDataFile({ name: 'model.py', size: 10, type: 'file' }));
    assert.ok(!isDataFile({ name: 'requirements.txt', size: DATA_FILE_BYTES * 2, type: 'file' }));
    assert.ok(!isDataFile({ name: 'data/link', size: 0, type: 'symlink' }));
  });

  it('sends the data in the data stage only, and the code in the code stage only', async () => {
    const names = async (stage: 'whole' | 'data' | 'code'): Promise<string[]> =>
      (await contextFiles({ dockerfile: 'FROM x\n', modelFolder: model, runtimeDir: runtime, stage })).map((f) => f.name).sort();
    assert.deepStrictEqual(await names('code'), ['Dockerfile', 'model/model.py', 'model/pyml.yaml', 'model/requirements.txt']);
    assert.deepStrictEqual(await names('data'), [
      'Dockerfile',
      'model-data/data/weights.bin',
      'model-data/samples/big.csv',
      'model/requirements.txt',
      'runtime/pyml/__init__.py',
      'runtime/requirements.txt',
    ]);
    assert.deepStrictEqual(await names('whole'), [
      'Dockerfile',
      'model-data/data/weights.bin',
      'model-data/samples/big.csv',
      'model/model.py',
      'model/pyml.yaml',
      'model/requirements.txt',
      'runtime/pyml/__init__.py',
      'runtime/requirements.txt',
    ]);
  });

  it('keys the data stage by content: a code edit keeps the key, a data edit or a requirements edit changes it', async () => {
    const key = async (): Promise<string> => (await dataKey(await contextFiles({ dockerfile: 'FROM x\n', modelFolder: model, runtimeDir: runtime, stage: 'data' }))).key;
    const first = await key();
    await fs.writeFile(path.join(model, 'model.py'), 'x = 2\n');
    assert.strictEqual(await key(), first, 'model.py is not in the data stage');
    await fs.writeFile(path.join(model, 'data', 'weights.bin'), 'v');
    const second = await key();
    assert.notStrictEqual(second, first);
    await fs.writeFile(path.join(model, 'data', 'weights.bin'), 'w');
    const t = new Date(Date.now() + 60_000);
    await fs.utimes(path.join(model, 'data', 'weights.bin'), t, t);
    assert.strictEqual(await key(), first, 'the same content (touched) gives the same key');
    await fs.writeFile(path.join(model, 'requirements.txt'), 'numpy\npandas\n');
    assert.notStrictEqual(await key(), first, 'requirements.txt is under the data layer');
  });

  it('reads a data file again only when its stamp changes (a known stamp gives its content hash)', async () => {
    const files = await contextFiles({ dockerfile: 'FROM x\n', modelFolder: model, runtimeDir: runtime, stage: 'data' });
    const asked: string[] = [];
    const fromLabel = await dataKey(
      files.map((f) => (f.name.startsWith('model-data/') ? { ...f, mtime: new Date(12345) } : f)),
      (stamp) => {
        asked.push(stamp);
        return Promise.resolve('a'.repeat(64));
      },
    );
    assert.strictEqual(asked.length, 1);
    assert.strictEqual(fromLabel.content, 'a'.repeat(64), 'the data files were not read: the label said what they hold');
    assert.strictEqual(fromLabel.files, 2);
  });

  it('cuts the Dockerfile into a data stage and a code stage FROM it, numbered as the whole', () => {
    const whole = generated(true);
    const roles = whole.steps.map((s) => s.role);
    const dataAt = roles.indexOf('data');
    assert.strictEqual(whole.dataSteps, dataAt + 1);
    assert.ok(dataAt < roles.indexOf('model'), 'the data is below the code');
    const data = dataStageDockerfile(whole);
    assert.ok(data.trimEnd().endsWith('COPY model-data/ /opt/pyml/model/'));
    const code = codeStageDockerfile(whole, 'pyml-data/churn-model:0123456789abcdef');
    assert.ok(code.startsWith('FROM pyml-data/churn-model:0123456789abcdef\nCOPY model/ /opt/pyml/model/\n'));
    assert.strictEqual(wholeStep(whole, 1), undefined);
    assert.strictEqual(whole.steps[(wholeStep(whole, 2) ?? 0) - 1]?.role, 'model');
    assert.ok(whole.text.includes('COPY model-data/') && whole.text.includes('COPY model/'), 'the whole Dockerfile has both');
    const noData = generated(false);
    assert.strictEqual(noData.dataSteps, 0);
    assert.ok(!noData.text.includes('model-data'));
    assert.throws(() => dataStageDockerfile(noData), /no data layer/);
  });

  it('names the data image after the model and the key', () => {
    assert.ok(MANIFEST);
    assert.strictEqual(dataImageTag(MANIFEST, 'abcdef0123456789ffff'), 'pyml-data/churn-model:abcdef0123456789');
  });

  it('says what every step does, in words, with its number', () => {
    const roles: StepRole[] = ['base', 'environment', 'user', 'apt', 'runtime-requirements-copy', 'runtime-requirements', 'model-requirements-copy', 'model-requirements', 'runtime', 'command', 'data', 'model', 'metadata'];
    for (const role of roles) assert.match(stepPurpose(role), /^[A-Z][a-z]+ /, role);
    assert.strictEqual(stepProgress('model-requirements', 3, 7), 'Installing requirements (step 3 of 7)');
    assert.strictEqual(stepProgress('data', 11, 16), "Copying the model's data (step 11 of 16)");
    for (const s of generated(true).steps) assert.ok(!/RUN|COPY|pip|apt-get/.test(stepPurpose(s.role)), `no shell text for ${s.role}`);
  });

  it('prints the export command a POSIX shell runs as it is', () => {
    assert.strictEqual(buildCommand('pyml/churn:0.1.0', '/home/u/churn-docker'), 'docker build -t pyml/churn:0.1.0 /home/u/churn-docker');
    assert.strictEqual(buildCommand('pyml/churn:0.1.0', "/home/u/my models/it's"), `docker build -t pyml/churn:0.1.0 '/home/u/my models/it'\\''s'`);
    assert.strictEqual(shellQuote('a$b'), "'a$b'");
  });
});
