/** PyML: Debug Model — starts a `pyml` debug session for a model folder (see src/debug/sessions.ts). */
import * as path from 'path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { defaultConfiguration } from '../debug/debugConfiguration';
import { resolveModelFolder } from './modelFolder';

export function debugCommand(wait: boolean | undefined): (ctx: Ctx, arg?: unknown) => Promise<void> {
  return async (ctx, arg) => {
    const folder = await resolveModelFolder(arg, 'debug');
    if (!folder) return;
    const workspaceFolder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(folder));
    const config = { ...defaultConfiguration(folder, wait), name: `PyML: Debug ${path.basename(folder)}` };
    const started = await vscode.debug.startDebugging(workspaceFolder, config);
    if (!started) ctx.log.warn(`The debug session for ${folder} did not start`);
  };
}
