/**
 * PyML: Run Batch Prediction inside code-server, run non-interactively with a BatchRequest (what the
 * pickers would have chosen): a model made by New Model, its sample rows as a CSV with a key column,
 * predicted through a container of its image into a CSV that carries the key next to the outputs and
 * holds the sample's expected answer. (The command ends on a notification the user answers, so the
 * test does not await it: it waits for the output file to appear under its final name.)
 */
import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ShownError } from '../../../src/log';
import { parseSample } from '../../../src/scaffold/sample';
import { waitUntil } from './wait';
import { exists, workspaceRoot } from './workspace';

describe('Run Batch Prediction (pyml.runBatch in code-server, real Docker)', function () {
  this.timeout(300_000);
  let folder = '';
  let work = '';

  before(async () => {
    folder = path.join(workspaceRoot(), 'batch-demo');
    work = path.join(workspaceRoot(), 'batch-files');
    await fs.rm(folder, { recursive: true, force: true });
    await fs.rm(work, { recursive: true, force: true });
    await fs.mkdir(work, { recursive: true });
    await vscode.commands.executeCommand('pyml.newModel', { kind: 'dataframe', template: 'numpy', name: 'batch demo', folder });
    assert.ok(await exists(path.join(folder, 'pyml.yaml')), 'New Model did not write the folder');
  });

  after(async () => {
    await fs.rm(work, { recursive: true, force: true });
  });

  it('predicts a CSV into a CSV through the model image, keys carried through', async () => {
    const sample = parseSample(await fs.readFile(path.join(folder, 'samples', 'example.json'), 'utf8'));
    const columns = Object.keys(sample.inputs);
    const rows = (sample.inputs[columns[0] ?? ''] as unknown[]).length;
    const lines = [['id', ...columns].join(',')];
    for (let i = 0; i < rows; i++) lines.push([`row-${i}`, ...columns.map((c) => String((sample.inputs[c] as unknown[])[i]))].join(','));
    const input = path.join(work, 'houses.csv');
    await fs.writeFile(input, `${lines.join('\n')}\n`);
    const output = path.join(work, 'prices.csv');

    void vscode.commands.executeCommand('pyml.runBatch', { folder, input: { file: input }, output, keys: ['id'], rowsPerBatch: 2 });
    // Written under a temporary name, renamed when complete: its appearance means the run succeeded.
    await waitUntil(() => exists(output), 'the output file to appear', 240_000);
    const [header, ...body] = (await fs.readFile(output, 'utf8')).trim().split(/\r?\n/);
    const names = (header ?? '').split(',');
    assert.deepStrictEqual(names, ['id', 'price']);
    const expected = (sample.expected?.['price'] ?? []) as number[];
    assert.strictEqual(body.length, expected.length);
    body.forEach((line, i) => {
      const [id, price] = line.split(',');
      assert.strictEqual(id, `row-${i}`);
      assert.ok(Math.abs(Number(price) - (expected[i] ?? NaN)) <= 1e-9 * Math.abs(expected[i] ?? 1), `row ${i}: ${price} vs ${expected[i]}`);
    });
    assert.deepStrictEqual((await fs.readdir(work)).sort(), ['houses.csv', 'prices.csv'], 'no temporary file is left');
  });

  it('explains a failed build of the model image the one way: Show Problems on requirements.txt, Show Log (the build log)', async () => {
    const broken = path.join(workspaceRoot(), 'batch-demo-broken');
    await fs.rm(broken, { recursive: true, force: true });
    await fs.cp(folder, broken, { recursive: true });
    await fs.writeFile(path.join(broken, 'requirements.txt'), 'nonexistent-pkg==1.0\n');
    const input = path.join(work, 'broken.csv');
    const shown = (): Thenable<readonly ShownError[]> => vscode.commands.executeCommand<readonly ShownError[]>('pyml.testing.shownErrors');
    const before = (await shown()).length;
    try {
      // One row of the model's own columns: the input passes the schema check, the build fails.
      const sample = parseSample(await fs.readFile(path.join(broken, 'samples', 'example.json'), 'utf8'));
      const columns = Object.keys(sample.inputs);
      await fs.writeFile(input, `${columns.join(',')}\n${columns.map((c) => String((sample.inputs[c] as unknown[])[0])).join(',')}\n`);
      void vscode.commands.executeCommand('pyml.runBatch', { folder: broken, input: { file: input }, output: path.join(work, 'never.csv') });
      let error: ShownError | undefined;
      await waitUntil(async () => (error = (await shown()).slice(before).at(-1)) !== undefined, 'the batch to explain its failure', 240_000);
      assert.ok(error);
      assert.match(error.message, /^the build failed: pip could not install the model's requirements\.txt/);
      assert.deepStrictEqual(error.actions, ['Show Problems', 'Show Log']);
      assert.ok(!(await exists(path.join(work, 'never.csv'))), 'no output was written');
    } finally {
      await fs.rm(broken, { recursive: true, force: true });
      await fs.rm(input, { force: true });
    }
  });
});
