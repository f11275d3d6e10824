// End to end over LSP: spawns the compiled server (out/src/server/main.js --stdio, or $PYML_SERVER_JS)
// and drives it like an editor: diagnostics, a quick fix applied and re-checked, cross-file re-checks,
// hovers, completions, code lenses (none until Workspace Trust is granted), build failures, and survival of garbage input.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import type { CodeAction, CodeLens, CompletionItem, Diagnostic, Hover, TextEdit, WorkspaceEdit } from 'vscode-languageserver-protocol';
import { applyEdits } from '../../../src/server/core/text';
import { WorkspaceTrustNotification, type WorkspaceTrustParams } from '../../../src/shared/lsp';
import { REPO } from './helpers';
import { LspClient } from './lspClient';

const codes = (ds: Diagnostic[]): string[] => ds.map((d) => String(d.code)).sort();

function copyFixture(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyml-lsp-e2e-'));
  fs.cpSync(path.join(REPO, 'test', 'fixtures', name), dir, { recursive: true });
  return dir;
}

function editsFor(edit: WorkspaceEdit | undefined, uri: string): TextEdit[] {
  if (edit?.changes?.[uri]) return edit.changes[uri];
  const out: TextEdit[] = [];
  for (const change of edit?.documentChanges ?? []) {
    if ('textDocument' in change && change.textDocument.uri === uri) out.push(...change.edits.filter((e): e is TextEdit => 'range' in e));
  }
  return out;
}

describe('language server over stdio (end to end)', function () {
  this.timeout(60_000);
  let dir: string;
  let client: LspClient;
  let modelFile: string;
  let modelText: string;
  let modelUri: string;

  before(async () => {
    dir = copyFixture('broken-model');
    client = await LspClient.start(dir);
    modelFile = path.join(dir, 'model.py');
    modelText = fs.readFileSync(modelFile, 'utf8');
    modelUri = client.open(modelFile, modelText);
  });

  after(async () => {
    await client.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('publishes the contract diagnostics of a broken model.py, with codes, source and ranges', async () => {
    const ds = await client.diagnostics(modelUri, (d) => d.length > 0);
    assert.deepStrictEqual(codes(ds), ['PYML020', 'PYML200']);
    const missing = ds.find((d) => d.code === 'PYML020');
    assert.strictEqual(missing?.source, 'pyml');
    assert.deepStrictEqual(missing.range, { start: { line: 6, character: 6 }, end: { line: 6, character: 17 } });
    assert.match(missing.message, /BrokenModel has no predict method/);
  });

  it('offers a quick fix that adds predict, and the diagnostic goes away once applied', async () => {
    const ds = await client.diagnostics(modelUri, (d) => d.some((x) => x.code === 'PYML020'));
    const diagnostic = ds.find((d) => d.code === 'PYML020');
    assert.ok(diagnostic);
    const actions = await client.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri: modelUri },
      range: diagnostic.range,
      context: { diagnostics: [diagnostic], only: ['quickfix'] },
    });
    const fix = actions.find((a) => a.title.startsWith('Add predict'));
    assert.ok(fix, `actions: ${actions.map((a) => a.title).join(' | ')}`);
    assert.strictEqual(fix.kind, 'quickfix');
    assert.strictEqual(fix.isPreferred, true);
    modelText = applyEdits(modelText, editsFor(fix.edit, modelUri));
    assert.match(modelText, /def predict\(self, df: pd\.DataFrame\) -> pd\.DataFrame:/);
    client.change(modelUri, modelText);
    const after = await client.diagnostics(modelUri, (d) => !d.some((x) => x.code === 'PYML020'));
    assert.deepStrictEqual(codes(after), ['PYML200']);
  });

  it('re-checks model.py when requirements.txt changes in the editor (unsaved)', async () => {
    const reqFile = path.join(dir, 'requirements.txt');
    const reqUri = client.open(reqFile, fs.readFileSync(reqFile, 'utf8'));
    client.change(reqUri, `${fs.readFileSync(reqFile, 'utf8')}opencv-python-headless\n`);
    const after = await client.diagnostics(modelUri, (d) => !d.some((x) => x.code === 'PYML200'));
    assert.deepStrictEqual(codes(after), []);
    client.change(reqUri, fs.readFileSync(reqFile, 'utf8'));
    await client.diagnostics(modelUri, (d) => d.some((x) => x.code === 'PYML200'));
    client.close(reqUri);
  });

  it('the requirement quick fix edits requirements.txt', async () => {
    const ds = await client.diagnostics(modelUri, (d) => d.some((x) => x.code === 'PYML200'));
    const diagnostic = ds.find((d) => d.code === 'PYML200');
    assert.ok(diagnostic);
    const actions = await client.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri: modelUri },
      range: diagnostic.range,
      context: { diagnostics: [diagnostic] },
    });
    const reqUri = pathToFileURL(path.join(dir, 'requirements.txt')).href;
    const edits = editsFor(actions[0]?.edit, reqUri);
    assert.strictEqual(actions[0]?.title, "Add 'opencv-python' to requirements.txt");
    assert.strictEqual(applyEdits(fs.readFileSync(path.join(dir, 'requirements.txt'), 'utf8'), edits).split('\n').at(-2), 'opencv-python');
  });

  it('re-checks model.py when pyml.yaml changes: a column read becomes declared', async () => {
    modelText = modelText.replace(/raise NotImplementedError\([^\n]*\)/, 'return df[["tenure", "region"]]');
    client.change(modelUri, modelText);
    await client.diagnostics(modelUri, (d) => d.some((x) => x.code === 'PYML220'));
    const yamlFile = path.join(dir, 'pyml.yaml');
    const yamlUri = client.open(yamlFile, fs.readFileSync(yamlFile, 'utf8'));
    client.change(yamlUri, fs.readFileSync(yamlFile, 'utf8').replace('  - {name: plan, dtype: string}', '  - {name: plan, dtype: string}\n  - {name: region, dtype: string}'));
    await client.diagnostics(modelUri, (d) => !d.some((x) => x.code === 'PYML220'));
    client.close(yamlUri);
    await client.diagnostics(modelUri, (d) => d.some((x) => x.code === 'PYML220'));
  });

  it('hovers a column with its dtype and completes column names', async () => {
    const line = modelText.split('\n').findIndex((l) => l.includes('return df[["tenure", "region"]]'));
    const character = (modelText.split('\n')[line] ?? '').indexOf('"tenure"') + 2;
    const hover = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri: modelUri }, position: { line, character } });
    assert.match(JSON.stringify(hover?.contents), /tenure.*int64/);

    const typing = modelText.replace('return df[["tenure", "region"]]', 'return df[""]');
    client.change(modelUri, typing);
    const at = { line, character: (typing.split('\n')[line] ?? '').indexOf('df[""]') + 4 };
    const items = await client.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri: modelUri }, position: at });
    assert.deepStrictEqual(items.map((i) => i.label), ['tenure', 'plan']);
    client.change(modelUri, modelText);
  });

  it('offers no Build · Run · Test lenses in an untrusted workspace, and asks for a refresh once trust is granted', async () => {
    const untrusted = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: modelUri } });
    assert.deepStrictEqual(untrusted, []);
    const before = client.lensRefreshes;
    client.notify(WorkspaceTrustNotification.method, { trusted: true } satisfies WorkspaceTrustParams);
    await client.until(() => client.lensRefreshes > before, 'a workspace/codeLens/refresh request');
  });

  it('puts Build · Run · Test lenses over the model class of a trusted workspace, with the folder as argument', async () => {
    const lenses = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: modelUri } });
    assert.deepStrictEqual(lenses.map((l) => l.command?.command), ['pyml.buildImage', 'pyml.runModel', 'pyml.openPanel', 'pyml.debugModel']);
    assert.deepStrictEqual(lenses[0]?.command?.arguments, [pathToFileURL(dir).href]);
  });

  it('creates requirements.txt when the fix needs it', async () => {
    const other = copyFixture('broken-model');
    fs.rmSync(path.join(other, 'requirements.txt'));
    const file = path.join(other, 'model.py');
    const uri = client.open(file, fs.readFileSync(file, 'utf8'));
    const ds = await client.diagnostics(uri, (d) => d.some((x) => x.code === 'PYML200'));
    const diagnostic = ds.find((d) => d.code === 'PYML200');
    const actions = await client.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: diagnostic?.range,
      context: { diagnostics: [diagnostic] },
    });
    const changes = actions[0]?.edit?.documentChanges ?? [];
    assert.deepStrictEqual(changes[0], { kind: 'create', uri: pathToFileURL(path.join(other, 'requirements.txt')).href, options: { ignoreIfExists: true } });
    client.close(uri);
    fs.rmSync(other, { recursive: true, force: true });
  });

  it('survives garbage and keeps answering', async () => {
    const noise = Array.from({ length: 2000 }, (_, i) => String.fromCharCode(((i * 7919) % 0x2fff) + 1)).join('');
    client.change(modelUri, noise);
    client.change(modelUri, `${modelText}\nclass Half(DataFrameModel):\n    def predict(self, df`);
    const ds = await client.diagnostics(modelUri, (d) => d.some((x) => x.code === 'PYML200'));
    assert.ok(ds.length > 0);
    const hover = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri: modelUri }, position: { line: 6, character: 22 } });
    assert.match(JSON.stringify(hover?.contents), /DataFrameModel/);
  });
});
