/** PyML: Stop Model, Restart Model, Show Model Logs. */
import * as path from 'path';
import type { Ctx } from '../ctx';
import { explainFailures, withModelProgress } from './buildImage';
import { resolveModelFolder } from './modelFolder';

export async function stopCommand(ctx: Ctx, arg?: unknown): Promise<void> {
  const manager = await ctx.containers.get();
  const folder = await resolveModelFolder(arg ?? runningFolder(manager.models()), 'stop');
  if (!folder) return;
  await manager.stop(folder);
}

export async function restartCommand(ctx: Ctx, arg?: unknown): Promise<void> {
  const manager = await ctx.containers.get();
  const folder = await resolveModelFolder(arg ?? runningFolder(manager.models()), 'restart');
  if (!folder) return;
  await explainFailures(ctx, () => withModelProgress(`Restarting ${path.basename(folder)}`, (progress, token) => manager.restart(folder, progress, token)));
}

export async function showModelLogsCommand(ctx: Ctx, arg?: unknown): Promise<void> {
  const manager = await ctx.containers.get();
  const folder = await resolveModelFolder(arg ?? runningFolder(manager.models()), 'show the logs of');
  if (!folder) return;
  await manager.showLogs(folder);
}

/** With exactly one model running, commands without an argument mean that one. */
function runningFolder(models: readonly { folder: string }[]): string | undefined {
  return models.length === 1 ? models[0]?.folder : undefined;
}

/** Connects to Docker again (after it was not running), explaining when it still is not. */
export async function retryDockerCommand(ctx: Ctx): Promise<void> {
  const manager = await ctx.containers.get();
  await manager.engineOrExplain();
}
