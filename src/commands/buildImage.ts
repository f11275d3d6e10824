/** PyML: Build Image — the model folder's image, with step progress, cancel, and problems on failure. */
import * as path from 'path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { dockerOrExplain } from './docker';
import { resolveModelFolder } from './modelFolder';
import { withModelProgress } from './progress';

/** A failed build reaches the command table, whose explanation offers Show Problems and Show Logs. */
export async function buildCommand(ctx: Ctx, arg?: unknown): Promise<void> {
  const folder = await resolveModelFolder(arg, 'build');
  if (!folder) return;
  const manager = await ctx.containerManager.get();
  if (!(await dockerOrExplain(ctx, manager))) return;
  const result = await withModelProgress(`Building ${path.basename(folder)}`, (progress, token) => manager.build(folder, progress, token));
  if (result) {
    void vscode.window.showInformationMessage(
      `PyML: built ${result.tag} (${result.cachedSteps.length} of ${result.steps.length} steps from the cache).`,
    );
  }
}
