import * as assert from 'assert';
import * as vscode from 'vscode';
import { waitUntil } from './wait';

const EXTENSION_ID = 'pyml.pyml-vscode';

interface Manifest {
  contributes?: { commands?: { command: string; title: string }[] };
}

function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded`);
  return ext;
}

describe('activation', () => {
  it('the workspace is a model folder with a pyml.yaml', async () => {
    const manifests = await vscode.workspace.findFiles('**/pyml.yaml', '**/node_modules/**', 10);
    assert.ok(manifests.length > 0, 'no pyml.yaml in the test workspace');
  });

  it('the extension activates by itself in a workspace containing pyml.yaml', async () => {
    const ext = extension();
    await waitUntil(() => ext.isActive, `${EXTENSION_ID} to activate (activationEvents: workspaceContains)`);
    assert.strictEqual(ext.isActive, true);
  });

  it('every command declared in contributes.commands is registered', async () => {
    const ext = extension();
    const declared = ((ext.packageJSON as Manifest).contributes?.commands ?? []).map((c) => c.command);
    assert.ok(declared.length > 0, 'package.json declares no commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = declared.filter((c) => !registered.has(c));
    assert.deepStrictEqual(missing, [], `declared but not registered: ${missing.join(', ')}`);
  });
});
