/**
 * The questions the container layer leaves to the UI: a dependency file of a dev-mode model changed
 * (rebuild the image and restart?), and container settings changed while models run (restart
 * them?). The manager fires the events; this asks, does the work, and explains failures the one
 * way (a failed rebuild offers Show Problems like a failed Build Image).
 */
import * as path from 'path';
import * as vscode from 'vscode';
import type { ContainerManager, RunningModel } from '../container/manager';
import type { Ctx } from '../ctx';
import { dockerOrExplain } from './docker';
import { withModelProgress } from './progress';

/** Asks the manager's questions once it is loaded. */
export function registerContainerPrompts(ctx: Ctx): void {
  ctx.own(
    ctx.containerManager.onDidLoad((manager) => {
      ctx.own(
        manager.onDidChangeDependencies(({ folder, file }) => {
          void offerRebuild(ctx, manager, folder, file);
        }),
      );
      ctx.own(
        manager.onDidChangeRunSettings((running) => {
          void offerRestart(ctx, manager, running);
        }),
      );
    }),
  );
}

async function offerRebuild(ctx: Ctx, manager: ContainerManager, folder: string, file: string): Promise<void> {
  const rebuild = 'Rebuild and Restart';
  const name = path.relative(folder, file);
  const choice = await vscode.window.showInformationMessage(
    `PyML: ${name} changed. Dev mode reloads code, not dependencies: rebuild the image and restart the model?`,
    rebuild,
  );
  if (choice !== rebuild) return;
  if (!(await dockerOrExplain(ctx, manager))) return;
  try {
    await withModelProgress(`Rebuilding ${path.basename(folder)}`, (progress, token) => manager.run(folder, 'dev', progress, token));
  } catch (err) {
    void ctx.log.explain(err, { summary: `the rebuild of ${path.basename(folder)} failed`, folder });
  }
}

async function offerRestart(ctx: Ctx, manager: ContainerManager, running: readonly RunningModel[]): Promise<void> {
  const restart = 'Restart';
  const names = running.map((m) => m.container.info.modelName).join(', ');
  const choice = await vscode.window.showInformationMessage(`PyML: restart ${names} to apply the new container settings?`, restart);
  if (choice !== restart) return;
  for (const model of running) {
    try {
      await manager.restart(model.folder, { report: () => undefined });
    } catch (err) {
      void ctx.log.explain(err, { summary: `restarting ${model.container.info.modelName} failed`, folder: model.folder });
    }
  }
}
