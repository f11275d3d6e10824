// The suite's workspace folder and files in it.
import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as vscode from 'vscode';

/** The folder the suite's window opened. */
export function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the suite needs a workspace folder');
  return folder.uri.fsPath;
}

export async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}
