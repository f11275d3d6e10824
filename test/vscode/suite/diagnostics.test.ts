// The language server inside the editor: a broken model.py gets its diagnostics, a quick fix applied
// through VS Code's own commands makes one go away, and the CodeLens carries the model folder's Uri.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { CloseAction, ErrorAction, LanguageClient, State, TransportKind } from 'vscode-languageclient/node';
import { ServerErrorHandler } from '../../../src/client/languageClient';
import { waitUntil } from './wait';

const EXTENSION_ID = 'pyml.pyml-vscode';

function codeOf(d: vscode.Diagnostic): string {
  return typeof d.code === 'object' ? String(d.code.value) : String(d.code);
}

function pymlDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'pyml');
}

describe('language server: diagnostics and quick fixes in the editor', () => {
  let folder: vscode.Uri;
  let model: vscode.Uri;

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is not loaded`);
    await waitUntil(() => ext.isActive, `${EXTENSION_ID} to activate`);
    const workspace = vscode.workspace.workspaceFolders?.[0];
    assert.ok(workspace, 'the suite needs a workspace folder');
    // A copy inside the workspace: the quick fix edits it, the fixture stays as it is.
    const target = path.join(workspace.uri.fsPath, 'broken-model');
    fs.rmSync(target, { recursive: true, force: true });
    fs.cpSync(path.join(ext.extensionPath, 'test', 'fixtures', 'broken-model'), target, { recursive: true });
    folder = vscode.Uri.file(target);
    model = vscode.Uri.joinPath(folder, 'model.py');
  });

  after(async () => {
    // Undo the quick fix in the editor, close it, then remove the copy.
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === model.fsPath);
    if (doc) {
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('workbench.action.files.revert');
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    }
    fs.rmSync(folder.fsPath, { recursive: true, force: true });
  });

  it('reports the contract errors of a broken model.py', async () => {
    const doc = await vscode.workspace.openTextDocument(model);
    await vscode.window.showTextDocument(doc);
    await waitUntil(() => pymlDiagnostics(model).length >= 2, 'PyML diagnostics on broken-model/model.py', 60_000);
    const diagnostics = pymlDiagnostics(model);
    assert.deepStrictEqual(diagnostics.map(codeOf).sort(), ['PYML020', 'PYML200']);
    const missing = diagnostics.find((d) => codeOf(d) === 'PYML020');
    assert.ok(missing);
    assert.strictEqual(missing.severity, vscode.DiagnosticSeverity.Error);
    assert.strictEqual(doc.getText(missing.range), 'BrokenModel');
    assert.match(missing.message, /no predict method/);
  });

  it('applies the "Add predict" quick fix and the diagnostic goes away', async () => {
    const missing = pymlDiagnostics(model).find((d) => codeOf(d) === 'PYML020');
    assert.ok(missing);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      model,
      missing.range,
      vscode.CodeActionKind.QuickFix.value,
    );
    const fix = actions.find((a) => a.title.startsWith('Add predict'));
    assert.ok(fix?.edit, `quick fixes offered: ${actions.map((a) => a.title).join(' | ')}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit), 'applyEdit refused the quick fix');
    await waitUntil(() => !pymlDiagnostics(model).some((d) => codeOf(d) === 'PYML020'), 'PYML020 to go away after the quick fix');
    const doc = await vscode.workspace.openTextDocument(model);
    assert.match(doc.getText(), /def predict\(self, df: pd\.DataFrame\) -> pd\.DataFrame:/);
    assert.deepStrictEqual(pymlDiagnostics(model).map(codeOf), ['PYML200']);
  });

  it('puts Build · Run · Test over the model class, with the folder as a vscode.Uri', async () => {
    let lenses: vscode.CodeLens[] = [];
    await waitUntil(async () => {
      lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', model)).filter((l) =>
        l.command?.command.startsWith('pyml.'),
      );
      return lenses.length === 4;
    }, 'the PyML code lenses');
    assert.deepStrictEqual(
      lenses.map((l) => l.command?.command),
      ['pyml.buildImage', 'pyml.runModel', 'pyml.openPanel', 'pyml.debugModel'],
    );
    const argument: unknown = lenses[0]?.command?.arguments?.[0];
    assert.ok(argument instanceof vscode.Uri, `the lens argument is ${JSON.stringify(argument)}`);
    assert.strictEqual(argument.fsPath, folder.fsPath);
  });
});

describe('language client: a crashing server', () => {
  it('is reported once with "Show Logs" and not restarted', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    // A server that initializes, then dies: what a crash on some input looks like to the client.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyml-crash-'));
    const script = path.join(dir, 'server.js');
    const lsp = JSON.stringify(path.join(ext.extensionPath, 'node_modules', 'vscode-languageserver', 'node'));
    fs.writeFileSync(
      script,
      `const { createConnection, ProposedFeatures } = require(${lsp});
const c = createConnection(ProposedFeatures.all);
c.onInitialize(() => ({ capabilities: {} }));
c.onInitialized(() => setTimeout(() => process.exit(3), 20));
c.listen();
require('fs').appendFileSync(${JSON.stringify(path.join(dir, 'starts'))}, 'x');
`,
    );
    const reports: string[] = [];
    const handler = new ServerErrorHandler({ error: () => undefined, reportError: (summary: string) => Promise.resolve(void reports.push(summary)) });
    const client = new LanguageClient('pyml-crash-test', 'crash test', { module: script, transport: TransportKind.ipc }, { errorHandler: handler });
    try {
      await client.start();
      await waitUntil(() => reports.length > 0 && client.state === State.Stopped, 'the crash to be reported and the client to stop');
      assert.strictEqual(client.state, State.Stopped);
      assert.strictEqual(fs.readFileSync(path.join(dir, 'starts'), 'utf8'), 'x', 'the server was restarted');
      assert.deepStrictEqual(reports, ['PyML: the language server stopped unexpectedly; contract checks are off until the window is reloaded']);
      // A second close (of a later start) would not report again.
      assert.deepStrictEqual(handler.closed(), { action: CloseAction.DoNotRestart, handled: true });
      assert.strictEqual(reports.length, 1);
      assert.strictEqual(handler.error(new Error('broken pipe'), undefined, 1).action, ErrorAction.Continue);
      assert.strictEqual(handler.error(new Error('broken pipe'), undefined, 4).action, ErrorAction.Shutdown);
    } finally {
      if (client.state === State.Running) await client.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
