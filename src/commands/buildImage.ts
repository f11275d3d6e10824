/** PyML: Build Image — the model folder's image, with step progress, cancel, and problems on failure. */
import * as path from 'path';
import * as vscode from 'vscode';
import { BuildFailedError, ContainerExitedError, ReadinessTimeoutError } from '../container/containerErrors';
import type { ProgressSink } from '../container/manager';
import type { Ctx } from '../ctx';
import { resolveModelFolder } from './modelFolder';

export async function buildCommand(ctx: Ctx, arg?: unknown): Promise<void> {
  const folder = await resolveModelFolder(arg, 'build');
  if (!folder) return;
  const manager = await ctx.containers.get();
  const result = await explainFailures(ctx, () =>
    withModelProgress(`Building ${path.basename(folder)}`, (progress, token) => manager.build(folder, progress, token)),
  );
  if (result) {
    void vscode.window.showInformationMessage(
      `PyML: built ${result.tag} (${result.cachedSteps.length} of ${result.steps.length} steps from the cache).`,
    );
  }
}

/** A cancellable progress notification whose messages come from the container code. */
export function withModelProgress<T>(title: string, work: (progress: ProgressSink, token: vscode.CancellationToken) => Promise<T>): Promise<T> {
  return Promise.resolve(
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `PyML: ${title}`, cancellable: true }, (progress, token) =>
      work(
        {
          report: (message, increment) => {
            progress.report(increment === undefined ? { message } : { message, increment });
          },
        },
        token,
      ),
    ),
  );
}

/**
 * Runs a build or start; a failure the user can act on gets its own message (the full text, with
 * the build output or the container's log, goes to the log channel) and undefined comes back.
 * Other errors go on to the command table's handler.
 */
export async function explainFailures<T>(ctx: Ctx, work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof BuildFailedError) {
      ctx.log.error(`Build failed: ${err.message}\n${err.logTail.join('\n')}`);
      const actions = err.diagnostics.length > 0 ? ['Show Problems', 'Show Logs'] : ['Show Logs'];
      void vscode.window.showErrorMessage(`PyML: the build failed: ${err.message}`, ...actions).then((choice) => followUp(ctx, choice));
      return undefined;
    }
    if (err instanceof ContainerExitedError || err instanceof ReadinessTimeoutError) {
      ctx.log.error(err.message);
      const first = err.message.split('\n')[0] ?? err.message;
      void vscode.window.showErrorMessage(`PyML: ${first} Its log is in the PyML output.`, 'Show Logs').then((choice) => followUp(ctx, choice));
      return undefined;
    }
    throw err;
  }
}

async function followUp(ctx: Ctx, choice: string | undefined): Promise<void> {
  if (choice === 'Show Logs') ctx.log.show();
  if (choice === 'Show Problems') await vscode.commands.executeCommand('workbench.actions.view.problems');
}
