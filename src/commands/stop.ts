/** PyML: Stop Model, Restart Model, Retry Docker Connection (Show Model Container Logs: logs.ts). */
import * as path from 'path';
import type { Ctx } from '../ctx';
import { dockerOrExplain } from './docker';
import { resolveModelFolder } from './modelFolder';
import { withModelProgress } from './progress';

export async function stopCommand(ctx: Ctx, arg?: unknown): Promise<void> {
  const manager = await ctx.containerManager.get();
  const folder = await resolveModelFolder(arg ?? runningFolder(manager.models()), 'stop');
  if (!folder) return;
  // A container this window does not track is found through Docker.
  if (!manager.model(folder) && !(await dockerOrExplain(ctx, manager))) return;
  await manager.stop(folder);
}

export async function restartCommand(ctx: Ctx, arg?: unknown): Promise<void> {
  const manager = await ctx.containerManager.get();
  const folder = await resolveModelFolder(arg ?? runningFolder(manager.models()), 'restart');
  if (!folder) return;
  if (!(await dockerOrExplain(ctx, manager))) return;
  await withModelProgress(`Restarting ${path.basename(folder)}`, (progress, token) => manager.restart(folder, progress, token));
}

/** With exactly one model running, commands without an argument mean that one. */
function runningFolder(models: readonly { folder: string }[]): string | undefined {
  return models.length === 1 ? models[0]?.folder : undefined;
}

/** Connects to Docker again (after it was not running), explaining when it still is not. */
export async function retryDockerCommand(ctx: Ctx): Promise<void> {
  const manager = await ctx.containerManager.get();
  await dockerOrExplain(ctx, manager);
}
