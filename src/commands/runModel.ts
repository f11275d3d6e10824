/** PyML: Run Model / Run Model in Dev Mode — build (from the cache when unchanged), start, wait until ready. */
import * as path from 'path';
import * as vscode from 'vscode';
import type { RunMode } from '../container/runSpec';
import type { Ctx } from '../ctx';
import { dockerOrExplain } from './docker';
import { resolveModelFolder } from './modelFolder';
import { withModelProgress } from './progress';

export function runCommand(mode: RunMode): (ctx: Ctx, arg?: unknown) => Promise<void> {
  return async (ctx, arg) => {
    const folder = await resolveModelFolder(arg, mode === 'dev' ? 'run in dev mode' : 'run');
    if (!folder) return;
    const manager = await ctx.containerManager.get();
    if (!(await dockerOrExplain(ctx, manager))) return;
    const title = `${mode === 'dev' ? 'Starting (dev mode)' : 'Starting'} ${path.basename(folder)}`;
    const model = await withModelProgress(title, (progress, token) => manager.run(folder, mode, progress, token));
    if (model) {
      const how = mode === 'dev' ? ' in dev mode: saving a file reloads it' : '';
      void vscode.window.showInformationMessage(`PyML: ${model.container.info.modelName} is ready${how}.`);
    }
  };
}
