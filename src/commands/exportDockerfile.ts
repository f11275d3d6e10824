/**
 * PyML: Export Dockerfile — a folder that plain `docker build` builds without the extension: the
 * Dockerfile, the PyML runtime, the model (its data in a layer of its own) and a .dockerignore
 * (container/exportContext.ts), and the exact command that builds it.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { exportBuildContext } from '../container/exportContext';
import { resolveModelFolder } from './modelFolder';

const OPEN = 'Open Dockerfile';
const COPY = 'Copy Command';
const TERMINAL = 'Run in Terminal';

export async function exportDockerfileCommand(ctx: Ctx, arg?: unknown): Promise<void> {
  const folder = await resolveModelFolder(arg, 'export the Dockerfile of');
  if (!folder) return;
  const manager = await ctx.containerManager.get();
  const prepared = await manager.prepare(folder, true);
  // Next to the model folder: inside it, the next build would send the export along.
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(path.join(path.dirname(folder), `${path.basename(folder)}-docker`)),
    title: 'PyML: Export Dockerfile — a new folder for the Dockerfile and its build context',
    saveLabel: 'Export',
  });
  if (!target) return;
  const exported = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `PyML: exporting the build context of ${prepared.manifest.name}` },
    () => exportBuildContext(prepared, manager.buildSettings().runtimeDir, target.fsPath),
  );
  ctx.log.info(`Exported the build context of ${prepared.manifest.name} to ${exported.folder} (${exported.files} files). Build it with:\n${exported.command}`);
  const choice = await vscode.window.showInformationMessage(
    `PyML: exported ${prepared.manifest.name} to ${exported.folder}. Build it with: ${exported.command}`,
    OPEN,
    COPY,
    TERMINAL,
  );
  if (choice === OPEN) {
    await vscode.window.showTextDocument(vscode.Uri.file(path.join(exported.folder, 'Dockerfile')));
  } else if (choice === COPY) {
    await vscode.env.clipboard.writeText(exported.command);
  } else if (choice === TERMINAL) {
    const terminal = vscode.window.createTerminal({ name: `PyML: build ${prepared.manifest.name}`, cwd: exported.folder });
    terminal.show();
    terminal.sendText(exported.command);
  }
}
