/**
 * PyML: Run Batch Prediction on a local Dask cluster inside code-server, end to end: a model made by
 * New Model, its sample rows (repeated) as CSV files in a folder, the command run with a cluster
 * request (what the pickers would have chosen: where = a local cluster, the folder, a key column,
 * the dataset folder). The extension builds the image, starts a scheduler and workers of it, runs
 * the job and removes the cluster; the dataset folder appears under its name with _SUCCESS when
 * every partition succeeded.
 */
import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { parseSample } from '../../../src/scaffold/sample';
import { waitUntil } from './wait';
import { exists, workspaceRoot } from './workspace';

describe('Run Batch Prediction on a local Dask cluster (pyml.runBatch in code-server, real Docker)', function () {
  this.timeout(600_000);
  let folder = '';
  let work = '';

  before(async () => {
    folder = path.join(workspaceRoot(), 'cluster-demo');
    work = path.join(workspaceRoot(), 'cluster-files');
    await fs.rm(folder, { recursive: true, force: true });
    await fs.rm(work, { recursive: true, force: true });
    await fs.mkdir(path.join(work, 'houses'), { recursive: true });
    await vscode.commands.executeCommand('pyml.newModel', { kind: 'dataframe', template: 'numpy', name: 'cluster demo', folder });
    assert.ok(await exists(path.join(folder, 'pyml.yaml')), 'New Model did not write the folder');
  });

  after(async () => {
    await fs.rm(work, { recursive: true, force: true });
  });

  it('predicts a folder of CSV files into a dataset folder on 2 worker containers, keys carried through', async () => {
    const sample = parseSample(await fs.readFile(path.join(folder, 'samples', 'example.json'), 'utf8'));
    const columns = Object.keys(sample.inputs);
    const count = (sample.inputs[columns[0] ?? ''] as unknown[]).length;
    const expected = (sample.expected?.['price'] ?? []) as number[];
    for (let file = 0; file < 3; file++) {
      const lines = [['id', ...columns].join(',')];
      for (let i = 0; i < count; i++) lines.push([`f${file}-${i}`, ...columns.map((c) => String((sample.inputs[c] as unknown[])[i]))].join(','));
      await fs.writeFile(path.join(work, 'houses', `part-${file}.csv`), `${lines.join('\n')}\n`);
    }
    const output = path.join(work, 'prices');

    void vscode.commands.executeCommand('pyml.runBatch', { folder, where: 'local', input: { paths: [path.join(work, 'houses')] }, output, keys: ['id'], rowsPerBatch: 2 });
    // Written under a temporary name, renamed when every partition succeeded.
    await waitUntil(() => exists(path.join(output, '_SUCCESS')), 'the dataset folder to appear', 540_000);
    const success = JSON.parse(await fs.readFile(path.join(output, '_SUCCESS'), 'utf8')) as { rows: number; partitions: unknown[]; workers: number; image: string };
    assert.strictEqual(success.rows, 3 * count);
    assert.strictEqual(success.partitions.length, 3);
    assert.strictEqual(success.workers, 2);
    assert.match(success.image, /^sha256:/);
    for (let file = 0; file < 3; file++) {
      const [header, ...body] = (await fs.readFile(path.join(output, `part-0000${file}.csv`), 'utf8')).trim().split(/\r?\n/);
      assert.strictEqual(header, 'id,price');
      body.forEach((line, i) => {
        const [id, price] = line.split(',');
        assert.strictEqual(id, `f${file}-${i}`);
        assert.ok(Math.abs(Number(price) - (expected[i] ?? NaN)) <= 1e-9 * Math.abs(expected[i] ?? 1), `row ${i}: ${price} vs ${expected[i]}`);
      });
    }
    assert.deepStrictEqual((await fs.readdir(work)).sort(), ['houses', 'prices'], 'no temporary folder is left');
  });
});
