/**
 * PyML: Debug Model in a real VS Code (code-server) with a real dockerd: `vscode.debug.startDebugging`
 * with the `pyml` type, a breakpoint added through the API, a prediction sent the panel's way
 * (schema from the server, grid -> Arrow -> V2 over the container's socket); the debug session
 * stops at the breakpoint's line, evaluates the DataFrame, continues, the answer is right; after
 * stopDebugging the container is gone. The provider's default configuration (F5 with no
 * launch.json) works the same way.
 */
import * as assert from 'assert';
import Docker from 'dockerode';
import { promises as fs } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { runInference } from '../../../src/predict/infer';
import { gridToTable } from '../../../src/predict/inputs';
import { schemaFromMetadata } from '../../../src/predict/panelSchema';
import { V2Client } from '../../../src/protocol/v2client';
import { waitUntil } from './wait';
import { workspaceRoot } from './workspace';

const REPO = path.resolve(__dirname, '..', '..', '..', '..');
const PROTO = path.join(REPO, 'runtime', 'pyml', 'proto', 'grpc_predict_v2.proto');
const MODEL = `"""Debug fixture: doubles x."""
import pandas as pd
from pyml import DataFrameModel


class IdentityModel(DataFrameModel):
    def __init__(self) -> None:
        self.factor = 2.0

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        doubled = df["x"] * self.factor
        return pd.DataFrame({"x": doubled, "label": df["label"]})
`;
const PREDICT_LINE = 11;

/** The running containers of a model folder, from their labels. */
async function containersOf(docker: Docker, folder: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`dev.pyml.folder=${folder}`] } });
}

async function topFrame(session: vscode.DebugSession, threadId: number): Promise<{ id: number; line: number; name: string; source?: { path?: string } }> {
  const trace = (await session.customRequest('stackTrace', { threadId, startFrame: 0, levels: 1 })) as { stackFrames: { id: number; line: number; name: string; source?: { path?: string } }[] };
  const top = trace.stackFrames[0];
  assert.ok(top, 'no stack frame');
  return top;
}

describe('Debug Model (pyml debug type in code-server, real Docker)', function () {
  this.timeout(300_000);
  const docker = new Docker();
  let folder = '';
  let modelFile = '';

  before(async () => {
    folder = path.join(workspaceRoot(), 'debug-demo');
    modelFile = path.join(folder, 'model.py');
    await fs.rm(folder, { recursive: true, force: true });
    await fs.mkdir(folder, { recursive: true });
    const manifest = await fs.readFile(path.join(workspaceRoot(), 'pyml.yaml'), 'utf8');
    const base = process.env['PYML_TEST_BASE_IMAGE'];
    const named = manifest.replace(/^name: .*$/m, `name: debug-demo-${process.pid}`);
    await fs.writeFile(path.join(folder, 'pyml.yaml'), base ? named.replace(/base_image: *"[^"]*"/, `base_image: "${base}"`) : named);
    await fs.writeFile(modelFile, MODEL);
  });

  after(async () => {
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    if (vscode.debug.activeDebugSession) await vscode.debug.stopDebugging();
    for (const c of await containersOf(docker, folder)) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    // The model's name is unique to this run: its images (model and debug layer) go too.
    const images = await docker.listImages({ filters: { reference: [`pyml/debug-demo-${process.pid}`] } });
    for (const image of images) await docker.getImage(image.Id).remove({ force: true }).catch(() => undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('stops at a breakpoint in predict() for a request sent the panel way; the container goes with the session', async () => {
    const line = new vscode.Position(PREDICT_LINE - 1, 0);
    vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(modelFile), line))]);
    const started = await vscode.debug.startDebugging(vscode.workspace.workspaceFolders?.[0], {
      type: 'pyml',
      request: 'launch',
      name: 'PyML: Debug debug-demo',
      folder,
    });
    assert.ok(started, 'startDebugging returned false');
    const session = vscode.debug.activeDebugSession;
    assert.ok(session, 'no active debug session');
    assert.strictEqual(session.type, 'pyml');

    let containers = await containersOf(docker, folder);
    assert.strictEqual(containers.length, 1);
    const container = containers[0];
    assert.ok(container);
    assert.strictEqual(container.Labels['dev.pyml.debug'], 'unix');
    const address = container.Labels['dev.pyml.address'];
    assert.ok(address?.startsWith('unix://'), `unexpected address ${address ?? ''}`);
    assert.ok(address);
    const model = container.Labels['dev.pyml.name'] ?? '';
    const client = new V2Client(address, { protoPath: PROTO, maxMessageBytes: 64 << 20 });
    try {
      await waitUntil(() => client.modelReady(model, '', { deadlineMs: 1000 }).catch(() => false), 'the model to be ready', 120_000);
      const schema = schemaFromMetadata(await client.modelMetadata(model));
      const input = { kind: 'table' as const, table: gridToTable(schema, [
        { name: 'x', cells: ['1.5', '2', '3'] },
        { name: 'label', cells: ['a', 'b', 'c'] },
      ]) };

      const stopped = new Promise<vscode.DebugStackFrame>((resolve) => {
        const sub = vscode.debug.onDidChangeActiveStackItem((item) => {
          if (item instanceof vscode.DebugStackFrame) {
            sub.dispose();
            resolve(item);
          }
        });
      });
      const answer = runInference(client, model, input, { deadlineMs: 240_000 });
      const item = await stopped;
      const frame = await topFrame(session, item.threadId);
      assert.strictEqual(frame.line, PREDICT_LINE);
      // In a remote window VS Code gives sources as vscode-remote URIs.
      const source = frame.source?.path ?? '';
      assert.strictEqual(source.includes('://') ? vscode.Uri.parse(source).path : source, modelFile);
      const evaluated = (await session.customRequest('evaluate', { expression: 'len(df)', frameId: frame.id, context: 'repl' })) as { result: string };
      assert.strictEqual(evaluated.result, '3');
      await session.customRequest('continue', { threadId: item.threadId });
      const outcome = await answer;
      const x = outcome.table.getChild('x')?.toArray() as Float64Array | undefined;
      assert.deepStrictEqual([...(x ?? [])], [3, 4, 6]);
    } finally {
      client.close();
    }

    await vscode.debug.stopDebugging(session);
    await waitUntil(async () => (containers = await containersOf(docker, folder)).length === 0, 'the debug container to be removed', 60_000);
  });

  it("starts from the provider's default configuration (F5 without launch.json) for the active editor's model", async () => {
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    if (vscode.debug.activeDebugSession) await vscode.debug.stopDebugging();
    await waitUntil(async () => (await containersOf(docker, folder)).length === 0, 'the first test to leave no container', 60_000);
    await vscode.window.showTextDocument(vscode.Uri.file(modelFile));
    const started = await vscode.debug.startDebugging(vscode.workspace.workspaceFolders?.[0], { type: 'pyml', request: 'launch', name: 'PyML: Debug Model' });
    assert.ok(started, 'startDebugging returned false');
    const session = vscode.debug.activeDebugSession;
    assert.ok(session);
    assert.strictEqual(session.configuration['folder'], folder);
    assert.strictEqual(session.configuration.request, 'attach');
    assert.strictEqual((await containersOf(docker, folder)).length, 1);
    await vscode.debug.stopDebugging(session);
    await waitUntil(async () => (await containersOf(docker, folder)).length === 0, 'the debug container to be removed', 60_000);
  });
});
