/**
 * Dev mode in the editor: saving a file of a model folder whose container runs in dev mode reloads
 * the model in that container (RepositoryModelLoad; the folder is bind-mounted, so no new image).
 * Overlapping saves merge; a failed reload keeps the old model serving and puts the Python error on
 * its line; a change to requirements.txt or packages.txt is reported to the host, whose UI offers a
 * rebuild (src/commands/containerPrompts.ts).
 */
import * as vscode from 'vscode';
import { summarizeModelError } from '../protocol/modelError';
import { V2Error } from '../protocol/v2client';
import { ContainerExitedError } from './containerErrors';
import type { ContainerLog } from './host';
import type { Problems } from './problems';
import { changeKind, errorLocation, MergingRunner } from './reload';
import type { ModelStatus, RunningModel } from './runningModel';

/** What dev mode needs of the manager. */
export interface DevModeHost {
  readonly problems: Problems;
  model(folder: string): RunningModel | undefined;
  setStatus(folder: string, status: ModelStatus, detail?: string): void;
  /** Whether saving a file reloads (the pyml.devMode.reloadOnSave setting). */
  reloadOnSave(): boolean;
  /** A dependency file of a dev-mode model changed: reloading cannot apply it, a rebuild can. */
  dependenciesChanged(folder: string, file: string): void;
}

export type ReloadOutcome = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly message: string };

export class DevMode implements vscode.Disposable {
  private readonly runners = new Map<string, MergingRunner<ReloadOutcome>>();
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly host: DevModeHost,
    private readonly log: ContainerLog,
  ) {
    this.subscription = vscode.workspace.onDidSaveTextDocument((doc) => {
      if (doc.uri.scheme === 'file') this.onSave(doc.uri.fsPath);
    });
  }

  watch(folder: string): void {
    if (!this.runners.has(folder)) this.runners.set(folder, new MergingRunner(() => this.reloadNow(folder)));
  }

  unwatch(folder: string): void {
    this.runners.delete(folder);
  }

  /** Reloads a folder's dev-mode model now (merged with reloads already under way). */
  reload(folder: string): Promise<ReloadOutcome> {
    const runner = this.runners.get(folder);
    if (!runner) return Promise.resolve({ ok: false, message: 'the model does not run in dev mode' });
    return runner.request();
  }

  dispose(): void {
    this.subscription.dispose();
    this.runners.clear();
  }

  private onSave(file: string): void {
    if (!this.host.reloadOnSave()) return;
    for (const folder of this.runners.keys()) {
      const kind = changeKind(folder, file);
      if (kind === 'reload') void this.reload(folder);
      if (kind === 'rebuild') this.host.dependenciesChanged(folder, file);
    }
  }

  private async reloadNow(folder: string): Promise<ReloadOutcome> {
    const model = this.host.model(folder);
    if (!model || model.status === 'exited') return { ok: false, message: 'the model container is not running' };
    const started = performance.now();
    this.host.setStatus(folder, 'reloading');
    try {
      await model.container.reload();
      const ms = performance.now() - started;
      this.host.problems.clear('reload', folder);
      this.host.setStatus(folder, 'ready');
      this.log.info(`Reloaded ${model.container.info.modelName} in ${Math.round(ms)} ms`);
      return { ok: true, ms };
    } catch (err) {
      if (err instanceof ContainerExitedError) {
        this.host.setStatus(folder, 'exited', err.message.split('\n')[0]);
        this.log.error(err.message);
        return { ok: false, message: err.message };
      }
      const report = err instanceof V2Error ? err.report : undefined;
      const message = report ? summarizeModelError(report) : err instanceof Error ? err.message : String(err);
      const location = report ? errorLocation(report, folder) : undefined;
      if (location) this.host.problems.setModelError('reload', folder, location);
      this.host.setStatus(folder, 'reload-failed', message);
      this.log.error(`Reload of ${model.container.info.modelName} failed; the previous model keeps serving.\n${report?.traceback ?? message}`);
      return { ok: false, message };
    }
  }
}
