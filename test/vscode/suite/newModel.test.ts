/**
 * PyML: New Model inside code-server: the command, run non-interactively with {kind, template, name,
 * folder}, writes every template x kind into the workspace and opens model.py; the language server
 * then reports zero diagnostics on each file (proved live per file by a canary edit that must raise
 * a diagnostic and disappear again). For one template of each kind, the generated folder is built
 * against the test base image (the pyml.build.baseImage setting of the test workspace), run, and must
 * answer its samples/example.json with the expected output.
 */
import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { buildImage, prepareBuild } from '../../../src/container/imageBuild';
import { connectEngine } from '../../../src/container/engine';
import { startModel } from '../../../src/container/runContainer';
import { renderTemplate, templateKinds } from '../../../src/scaffold/render';
import { compareOutputs, parseSample } from '../../../src/scaffold/sample';
import { responseOutputs, sampleRequest } from '../../integration/sampleRequest';
import { waitUntil } from './wait';
import { exists, workspaceRoot } from './workspace';

const REPO = path.resolve(__dirname, '..', '..', '..', '..');

function diagnosticsOf(uri: vscode.Uri): readonly vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri);
}

/** An edit that must make the language server report a problem in the file (by file kind). */
function canary(doc: vscode.TextDocument): vscode.TextEdit {
  const base = path.basename(doc.uri.fsPath);
  if (base.endsWith('.py')) return vscode.TextEdit.insert(new vscode.Position(0, 0), 'import pyml_canary_not_installed\n');
  const end = doc.lineAt(doc.lineCount - 1).range.end;
  const line = base === 'pyml.yaml' ? 'canary_unknown_key: 1' : base === 'requirements.txt' ? 'not a requirement!' : 'Not_A_Package!';
  return vscode.TextEdit.insert(end, `${doc.getText().endsWith('\n') ? '' : '\n'}${line}\n`);
}

/**
 * Proves the language server analyses the open file and finds nothing in it: a canary edit must raise a
 * diagnostic; once the original text is back, the file must have none.
 */
async function expectNoDiagnostics(uri: vscode.Uri): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(uri);
  const original = doc.getText();
  const edit = new vscode.WorkspaceEdit();
  edit.set(uri, [canary(doc)]);
  assert.ok(await vscode.workspace.applyEdit(edit), `could not edit ${uri.fsPath}`);
  await waitUntil(() => diagnosticsOf(uri).length > 0, `the language server to report the canary in ${path.basename(uri.fsPath)}`, 30_000);
  const revert = new vscode.WorkspaceEdit();
  revert.replace(uri, new vscode.Range(0, 0, doc.lineCount, 0), original);
  assert.ok(await vscode.workspace.applyEdit(revert));
  assert.strictEqual(doc.getText(), original);
  await doc.save();
  await waitUntil(() => diagnosticsOf(uri).length === 0, `the diagnostics of ${path.basename(uri.fsPath)} to clear`, 30_000).catch(() => undefined);
  assert.deepStrictEqual(
    diagnosticsOf(uri).map((d) => `${path.basename(uri.fsPath)}:${d.range.start.line + 1}: ${String(typeof d.code === 'object' ? d.code.value : d.code)} ${d.message}`),
    [],
  );
}

describe('New Model (pyml.newModel in code-server)', function () {
  this.timeout(120_000);
  const made = new Map<string, string>();

  before(async () => {
    const ext = vscode.extensions.getExtension('pyml.pyml-vscode');
    assert.ok(ext);
    await waitUntil(() => ext.isActive, 'the extension to activate');
  });

  for (const { template, kind } of templateKinds()) {
    it(`${template}/${kind}: the command writes the folder, opens model.py, and the files have zero diagnostics`, async () => {
      const folder = path.join(workspaceRoot(), 'models', `${template}-${kind}`);
      await vscode.commands.executeCommand('pyml.newModel', { kind, template, name: `${template} ${kind}`, folder });
      const modelPy = path.join(folder, 'model.py');
      await waitUntil(() => vscode.window.activeTextEditor?.document.uri.fsPath === modelPy, 'model.py to be the active editor');
      made.set(`${template}/${kind}`, folder);
      // Byte for byte what renderTemplate gives: the integration layer builds every template from that.
      for (const f of renderTemplate(kind, template, `${template} ${kind}`)) {
        const written = await fs.readFile(path.join(folder, f.path));
        assert.ok(written.equals(Buffer.from(f.contents)), `${f.path} differs from renderTemplate's`);
      }
      const analysed = (await fs.readdir(folder)).filter((f) => /\.py$|^pyml\.yaml$|^requirements\.txt$|^packages\.txt$/.test(f)).sort();
      for (const f of analysed) await expectNoDiagnostics(vscode.Uri.file(path.join(folder, f)));
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });
  }

  it('refuses a folder that exists and is not empty, and writes nothing', async () => {
    const folder = path.join(workspaceRoot(), 'occupied');
    await fs.mkdir(folder, { recursive: true });
    await fs.writeFile(path.join(folder, 'notes.txt'), 'mine\n');
    await vscode.commands.executeCommand('pyml.newModel', { kind: 'dataframe', template: 'numpy', name: 'occupied', folder });
    assert.deepStrictEqual(await fs.readdir(folder), ['notes.txt']);
  });

  it('refuses an invalid name, and creates no folder', async () => {
    const folder = path.join(workspaceRoot(), 'invalid-name');
    await vscode.commands.executeCommand('pyml.newModel', { kind: 'tensor', template: 'numpy', name: '9 lives', folder });
    assert.strictEqual(await exists(folder), false);
  });

  // Every template x kind, against the test base image (numpy, scikit-learn and PyTorch from Debian).
  for (const { template, kind } of templateKinds()) {
    const key = `${template}/${kind}`;
    it(`${key}: the generated folder builds, runs and answers its sample`, async function () {
      this.timeout(240_000);
      const folder = made.get(key);
      assert.ok(folder, `${key} was not generated`);
      const baseImage = vscode.workspace.getConfiguration('pyml').get<string>('build.baseImage', '');
      const settings = { runtimeDir: path.join(REPO, 'runtime'), baseImage, maxMessageMB: 64 };
      const engine = await connectEngine({ setting: '' });
      const prepared = await prepareBuild(folder, settings);
      try {
        const built = await buildImage(engine, prepared, settings, { network: 'none' });
        const model = await startModel(engine, {
          folder,
          manifest: prepared.manifest,
          image: built.tag,
          mode: 'run',
          settings: {
            network: false, memory: '1g', cpus: 1, maxMessageMB: 64,
            protoPath: path.join(REPO, 'runtime', 'pyml', 'proto', 'grpc_predict_v2.proto'), readyTimeoutMs: 90_000,
          },
        });
        try {
          const sample = parseSample(await fs.readFile(path.join(folder, 'samples', 'example.json'), 'utf8'));
          assert.ok(sample.expected);
          const response = await model.infer(sampleRequest(prepared.manifest, sample), { deadlineMs: 60_000 });
          assert.deepStrictEqual(compareOutputs(sample.expected, responseOutputs(response)), []);
        } finally {
          await model.stop(2).catch(() => undefined);
          await model.container.remove({ force: true }).catch(() => undefined);
        }
      } finally {
        await engine.docker.getImage(prepared.tag).remove({ force: true }).catch(() => undefined);
      }
    });
  }
});
