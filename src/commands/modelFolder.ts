/**
 * Which model folder a command is about: the argument (a folder or file Uri, a tree item), else the
 * active editor's model folder, else the user picks one of the workspace's model folders.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { MANIFEST_FILE } from '../model/manifestFile';

/** Anything that names a model folder: tree items carry `folder` or `manifest`. */
interface FolderLike {
  readonly folder?: unknown;
  readonly manifest?: unknown;
}

/** The model folder of a command's argument, the active editor, or a QuickPick; undefined when the user backs out. */
export async function resolveModelFolder(arg: unknown, purpose: string): Promise<string | undefined> {
  const fromArg = await folderOfArgument(arg);
  if (fromArg) return fromArg;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.scheme === 'file') {
    const folder = await enclosingModelFolder(active.fsPath);
    if (folder) return folder;
  }
  return pickModelFolder(purpose);
}

async function folderOfArgument(arg: unknown): Promise<string | undefined> {
  if (arg instanceof vscode.Uri) return arg.scheme === 'file' ? enclosingModelFolder(arg.fsPath) : undefined;
  if (typeof arg === 'string' && path.isAbsolute(arg)) return enclosingModelFolder(arg);
  if (typeof arg === 'object' && arg !== null) {
    const item = arg as FolderLike;
    if (typeof item.folder === 'string') return item.folder;
    if (item.manifest instanceof vscode.Uri) return path.dirname(item.manifest.fsPath);
  }
  return undefined;
}

/** The nearest folder at or above `file` that holds a pyml.yaml (within the workspace). */
export async function enclosingModelFolder(file: string): Promise<string | undefined> {
  let dir = (await isDirectory(file)) ? file : path.dirname(file);
  const roots = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  for (;;) {
    if (await exists(path.join(dir, MANIFEST_FILE))) return dir;
    const parent = path.dirname(dir);
    const atRoot = roots.includes(dir) || parent === dir;
    if (atRoot) return undefined;
    dir = parent;
  }
}

/** The workspace's model folders, sorted. */
export async function workspaceModelFolders(): Promise<string[]> {
  const manifests = await vscode.workspace.findFiles(`**/${MANIFEST_FILE}`, '**/{node_modules,.git,.venv}/**');
  return manifests.map((m) => path.dirname(m.fsPath)).sort();
}

async function pickModelFolder(purpose: string): Promise<string | undefined> {
  const folders = await workspaceModelFolders();
  if (folders.length === 0) {
    const create = 'New Model';
    const choice = await vscode.window.showWarningMessage(`PyML: no model folder (a folder with ${MANIFEST_FILE}) in this workspace to ${purpose}.`, create);
    if (choice === create) await vscode.commands.executeCommand('pyml.newModel');
    return undefined;
  }
  if (folders.length === 1) return folders[0];
  const picked = await vscode.window.showQuickPick(
    folders.map((f) => ({ label: path.basename(f), description: vscode.workspace.asRelativePath(f, false), folder: f })),
    { title: `PyML: which model to ${purpose}?`, matchOnDescription: true },
  );
  return picked?.folder;
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

async function isDirectory(file: string): Promise<boolean> {
  return fs.stat(file).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
