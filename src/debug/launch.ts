/**
 * What a `pyml` debug session does before VS Code connects to its adapter: build the model image
 * (from the cache), add debugpy on top, start the container in dev mode with the debugger, and wait
 * until the debugger listens. The model goes on loading after that (with the wait option, only once
 * the debugger is attached); if it fails then, the session is stopped with the error.
 * Loaded on the first debug session (dockerode, tar and gRPC stay out of activation).
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { withModelProgress } from '../commands/progress';
import type { ModelContainer } from '../container/modelContainer';
import type { Ctx } from '../ctx';
import type { PymlDebugConfiguration } from './debugConfiguration';
import { waitForDebugger } from './endpoint';
import { buildDebugImage } from './image';
import { addDebugger, debugEndpoint, type DebugEndpoint } from './spec';
import { DEBUG_REQUEST_TIMEOUT_MS } from './state';

/** The model container a session debugs. */
export interface DebugTarget {
  readonly folder: string;
  /** Its gRPC address (what the panel connects to). */
  readonly address: string;
  readonly container: ModelContainer;
}

export interface LaunchHooks {
  /** The debugger listens: the session now owns the container. */
  onAttached(target: DebugTarget): void;
  /** Whether the session still owns it (it has not ended). */
  isAttached(): boolean;
}

export async function launchDebugContainer(ctx: Ctx, session: vscode.DebugSession, hooks: LaunchHooks): Promise<DebugEndpoint> {
  const config = session.configuration as PymlDebugConfiguration;
  const folder = config.folder;
  if (typeof folder !== 'string') throw new Error('the pyml debug configuration names no model folder');
  const wait = config.waitForDebugger ?? vscode.workspace.getConfiguration('pyml').get<boolean>('debug.waitForDebugger', false);
  const manager = await ctx.containerManager.get();
  const log = ctx.log;
  let listening: ((endpoint: DebugEndpoint) => void) | undefined;
  const endpoint = new Promise<DebugEndpoint>((resolve) => {
    listening = resolve;
  });
  const run = withModelProgress(`Debugging ${path.basename(folder)}`, (progress, token) =>
    manager.run(folder, 'dev', progress, token, {
      image: (engine, built) => {
        progress.report('adding debugpy to the image');
        return buildDebugImage(engine, built.tag, (line) => {
          log.info(`[debug image] ${line}`);
        });
      },
      customize: (spec) => {
        addDebugger(spec, { wait });
      },
      // Paused in __init__ for as long as the user likes.
      readyTimeoutMs: DEBUG_REQUEST_TIMEOUT_MS,
      beforeReady: async (model, info) => {
        const where = debugEndpoint(model.info.socketDir, info);
        if (!where) throw new Error(`the container ${model.info.name} has no debugger endpoint`);
        progress.report('starting the debugger');
        await waitForDebugger(model, where);
        hooks.onAttached({ folder, address: model.info.address, container: model });
        void model.exited.then(() => {
          if (hooks.isAttached()) void vscode.debug.stopDebugging(session);
        });
        const shown = where.kind === 'unix' ? where.path : `127.0.0.1:${where.port}`;
        log.info(`Debugger of ${model.info.modelName} listening on ${shown}${wait ? '; the model loads once it is attached' : ''}`);
        listening?.(where);
        if (wait) progress.report('waiting for the debugger, then loading the model');
      },
    }),
  );
  const outcome = run.then(
    (model) => (model ? undefined : new Error('cancelled')),
    (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
  );
  void outcome.then(async (err) => {
    if (!err || !hooks.isAttached()) return;
    // The debugger was attached, but the model did not become ready.
    await log.reportError(`PyML: debugging ${path.basename(folder)} failed`, err);
    await vscode.debug.stopDebugging(session);
  });
  const first = await Promise.race([endpoint, outcome]);
  if (first instanceof Error || first === undefined) {
    const message = first?.message ?? 'the model did not start';
    log.error(`Debugging ${folder} failed: ${message}`);
    throw new Error(`PyML could not start the model for debugging: ${message.split('\n')[0] ?? message}`);
  }
  return first;
}
