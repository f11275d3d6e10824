// The Test Explorer's PyML samples in a real VS Code: a sample saved from a real runtime server
// replays and passes; after the model's code changes (and the server reloads it), it fails with a
// diff of the two answers.
import * as assert from 'assert';
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { runInference } from '../../../src/predict/infer';
import { gridToTable } from '../../../src/predict/inputs';
import { sampleJson } from '../../../src/predict/samples';
import { schemaFromMetadata } from '../../../src/predict/panelSchema';
import { V2Client } from '../../../src/protocol/v2client';
import { waitUntil } from './wait';
import { requirePrerequisite } from '../../prerequisite';

const REPO = path.resolve(__dirname, '..', '..', '..', '..');
const PROTO = path.join(REPO, 'runtime', 'pyml', 'proto', 'grpc_predict_v2.proto');
const PYTHON = process.env['PYML_PYTHON'] ?? '/usr/bin/python3';

interface Outcome {
  readonly outcome: string;
  readonly message: string;
}

describe('Test Explorer: PyML samples', function () {
  this.timeout(120_000);
  let server: ChildProcess | undefined;
  let serverLog = '';
  let dir = '';
  let client: V2Client | undefined;

  before(function () {
    const probe = spawnSync(PYTHON, ['-c', 'import grpc, numpy, pandas, yaml'], { encoding: 'utf8' });
    requirePrerequisite(this, probe.status !== 0 ? `${PYTHON} cannot run the PyML runtime (${probe.stderr.trim().split('\n').pop() ?? ''})` : undefined);
  });

  after(async () => {
    client?.close();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    server?.kill('SIGTERM');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('replays a saved sample: passes, then fails with a diff after the model changes', async () => {
    const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(workspace, 'no workspace folder');
    const folder = path.join(workspace, 'panel-samples-model');
    fs.rmSync(folder, { recursive: true, force: true });
    fs.cpSync(path.join(REPO, 'test', 'fixtures', 'panel', 'panel-df'), folder, { recursive: true });

    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyml-samples-'));
    const socket = path.join(dir, 'm.sock');
    server = spawn(PYTHON, ['-m', 'pyml', 'serve', folder, '--socket', socket], {
      env: { ...process.env, PYTHONPATH: path.join(REPO, 'runtime'), PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (d: Buffer) => (serverLog += d.toString()));
    server.stderr?.on('data', (d: Buffer) => (serverLog += d.toString()));
    const address = `unix://${socket}`;
    client = new V2Client(address, { protoPath: PROTO, maxMessageBytes: 64 << 20 });
    const c = client;
    await waitUntil(async () => fs.existsSync(socket) && (await c.serverReady({ deadlineMs: 1000 }).catch(() => false)), `the runtime to serve (${serverLog})`, 60_000);

    // A sample as the panel saves it: the request and the answer it got.
    const schema = schemaFromMetadata(await c.modelMetadata('panel-df'));
    const input = { kind: 'table' as const, table: gridToTable(schema, [
      { name: 'x', cells: ['0.5', '1.25'] },
      { name: 'n', cells: ['1', null] },
      { name: 'label', cells: ['a', 'b'] },
      { name: 'flag', cells: ['true', 'false'] },
    ]) };
    const answer = await runInference(c, 'panel-df', input);
    const sample = path.join(folder, 'samples', 'smoke.json');
    fs.mkdirSync(path.dirname(sample), { recursive: true });
    fs.writeFileSync(sample, sampleJson('panel-df', input, answer.outputs));
    // And one as New Model writes it (no model name, only the outputs it cares about): the same format.
    const fresh = path.join(folder, 'samples', 'example.json');
    fs.writeFileSync(fresh, JSON.stringify({ description: 'as New Model writes it', inputs: { x: [0.5], n: [1], label: ['a'], flag: [true] }, expected: { y: [1.0] } }));

    // The panel, connected to the server, tells the Test Explorer where the model runs.
    await vscode.commands.executeCommand('pyml.openPanel', { address });

    const run = (): Thenable<Record<string, Outcome>> => vscode.commands.executeCommand<Record<string, Outcome>>('pyml.testing.runSamples', [sample, fresh]);
    let results: Record<string, Outcome> = {};
    await waitUntil(async () => {
      results = await run();
      return results[sample] !== undefined && results[fresh] !== undefined;
    }, 'the Test Explorer to list the samples', 30_000);
    assert.strictEqual(results[sample]?.outcome, 'passed', results[sample]?.message);
    assert.strictEqual(results[fresh]?.outcome, 'passed', results[fresh]?.message);

    // The model changes: y = 3x instead of 2x. Dev mode reloads it in the running server.
    const model = path.join(folder, 'model.py');
    fs.writeFileSync(model, fs.readFileSync(model, 'utf8').replace('self.factor = 2.0', 'self.factor = 3.0'));
    await c.repositoryModelLoad('');
    results = await run();
    const failed = results[sample];
    assert.strictEqual(failed?.outcome, 'failed', failed?.message);
    assert.match(failed.message, /differs from "expected".*y\[0\] \(flat, row-major\) is 1\.5, expected 1\b/);
  });
});
