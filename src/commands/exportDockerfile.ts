/** PyML: Export Dockerfile — the generated Dockerfile, to read or to build with elsewhere. */
import { promises as fs } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { resolveModelFolder } from './modelFolder';

export async function exportDockerfileCommand(ctx: Ctx, arg?: unknown): Promise<void> {
  const folder = await resolveModelFolder(arg, 'export the Dockerfile of');
  if (!folder) return;
  const manager = await ctx.containerManager.get();
  const prepared = await manager.prepare(folder, true);
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(path.join(folder, 'Dockerfile.pyml')),
    title: 'PyML: Export Dockerfile',
    saveLabel: 'Export',
  });
  if (!target) return;
  await fs.writeFile(target.fsPath, prepared.dockerfile.text, 'utf8');
  ctx.log.info(`Exported the Dockerfile of ${prepared.manifest.name} to ${target.fsPath}`);
  await vscode.window.showTextDocument(target);
}
