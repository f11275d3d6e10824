import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tar from 'tar-stream';
import { contextFiles, ignorePatterns, listFiles, packContext } from '../../../src/container/buildContext';

async function tree(root: string, files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await fs.writeFile(path.join(root, name), content);
  }
}

describe('build context', () => {
  let tmp = '';
  beforeEach(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pyml-ctx-'));
  });
  afterEach(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('honours .dockerignore (with exceptions) and leaves caches out', async () => {
    const model = path.join(tmp, 'model');
    await tree(model, {
      '.dockerignore': '# big local files\ndata/raw\n*.log\n!keep.log\nnotebooks/\n',
      'model.py': 'x',
      'pyml.yaml': 'y',
      'data/model.joblib': 'j',
      'data/raw/huge.csv': 'c',
      'train.log': 'l',
      'keep.log': 'k',
      'notebooks/explore.ipynb': 'n',
      '__pycache__/model.cpython-311.pyc': 'p',
      'lib/__pycache__/x.pyc': 'p',
      '.git/HEAD': 'h',
    });
    const names = (await listFiles(model, await ignorePatterns(model))).map((f) => f.name);
    assert.deepStrictEqual(names, ['.dockerignore', 'data/model.joblib', 'keep.log', 'model.py', 'pyml.yaml']);
  });

  it('lays out Dockerfile, runtime/ and model/ in a tar with root-owned, normalised entries', async () => {
    const runtime = path.join(tmp, 'runtime');
    const model = path.join(tmp, 'm');
    await tree(runtime, { 'requirements.txt': 'grpcio\n', 'pyml/__init__.py': '', 'pyml/__pycache__/x.pyc': '', 'pyml/proto/v2.proto': 'syntax' });
    await tree(model, { 'model.py': 'print(1)\n', 'run.sh': '#!/bin/sh\n' });
    await fs.chmod(path.join(model, 'run.sh'), 0o750);
    await fs.symlink('model.py', path.join(model, 'link.py'));
    const files = await contextFiles({ dockerfile: 'FROM x\n', modelFolder: model, runtimeDir: runtime });
    const entries: { name: string; mode: number; uid: number; type: string; body: string }[] = [];
    const extract = tar.extract();
    const done = new Promise<void>((resolve, reject) => {
      extract.on('entry', (header, stream, next) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: unknown) => {
          chunks.push(c as Buffer);
        });
        stream.on('end', () => {
          entries.push({ name: header.name, mode: header.mode, uid: header.uid, type: header.type, body: Buffer.concat(chunks).toString() });
          next();
        });
      });
      extract.on('finish', resolve);
      extract.on('error', reject);
    });
    for await (const chunk of packContext(files)) extract.write(chunk as Buffer);
    extract.end(undefined);
    await done;
    assert.deepStrictEqual(
      entries.map((e) => [e.name, e.type, e.mode.toString(8), e.uid]),
      [
        ['Dockerfile', 'file', '644', 0],
        ['runtime/requirements.txt', 'file', '644', 0],
        ['runtime/pyml/__init__.py', 'file', '644', 0],
        ['runtime/pyml/proto/v2.proto', 'file', '644', 0],
        ['model/link.py', 'symlink', '777', 0],
        ['model/model.py', 'file', '644', 0],
        ['model/run.sh', 'file', '755', 0],
      ],
    );
    assert.strictEqual(entries[0]?.body, 'FROM x\n');
    assert.strictEqual(entries.find((e) => e.name === 'model/model.py')?.body, 'print(1)\n');
  });

  it('streams large files', async () => {
    const runtime = path.join(tmp, 'runtime');
    const model = path.join(tmp, 'm');
    await tree(runtime, { 'pyml/__init__.py': '' });
    await fs.mkdir(path.join(model, 'data'), { recursive: true });
    const big = Buffer.alloc(20 * 1024 * 1024, 7);
    await fs.writeFile(path.join(model, 'data', 'weights.bin'), big);
    let size = 0;
    for await (const chunk of packContext(await contextFiles({ dockerfile: 'FROM x\n', modelFolder: model, runtimeDir: runtime }))) size += (chunk as Buffer).length;
    assert.ok(size > big.length && size < big.length + 16 * 1024, `tar of ${size} bytes`);
  });

  it('says so when the runtime is missing', async () => {
    await assert.rejects(contextFiles({ dockerfile: '', modelFolder: tmp, runtimeDir: path.join(tmp, 'nope') }), /the PyML runtime is missing/);
  });
});
