/**
 * The `pyml` task type: build a model's image, or run it (normally or in dev mode), from Tasks and
 * keybindings. The task's terminal shows the build output; the container keeps running after a
 * run task finishes (the task ends once the model is ready).
 *
 *   { "type": "pyml", "action": "build", "folder": "models/churn" }
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { workspaceModelFolders } from '../commands/modelFolder';
import type { LazyContainerManager } from '../container/lazyManager';
import type { ProgressSink } from '../container/manager';

export const TASK_TYPE = 'pyml';

export type TaskAction = 'build' | 'run' | 'runDev';

export interface PymlTaskDefinition extends vscode.TaskDefinition {
  readonly type: typeof TASK_TYPE;
  readonly action: TaskAction;
  /** The model folder, relative to the task's workspace folder (or absolute). */
  readonly folder: string;
}

const ACTIONS: readonly TaskAction[] = ['build', 'run', 'runDev'];
const TITLES: Readonly<Record<TaskAction, string>> = { build: 'build image', run: 'run', runDev: 'run in dev mode' };

/** Shows an error the way every PyML error is shown (Log.explain). */
export type ExplainError = (err: unknown) => void;

export class PymlTaskProvider implements vscode.TaskProvider {
  constructor(
    private readonly lazyManager: LazyContainerManager,
    private readonly explain: ExplainError,
  ) {}

  async provideTasks(): Promise<vscode.Task[]> {
    if (!vscode.workspace.isTrusted) return [];
    const tasks: vscode.Task[] = [];
    for (const folder of await workspaceModelFolders()) {
      const scope = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(folder));
      if (!scope) continue;
      const relative = path.relative(scope.uri.fsPath, folder) || '.';
      for (const action of ACTIONS) tasks.push(this.task({ type: TASK_TYPE, action, folder: relative }, scope));
    }
    return tasks;
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const def = task.definition as Partial<PymlTaskDefinition>;
    if (def.type !== TASK_TYPE || !def.action || !ACTIONS.includes(def.action) || typeof def.folder !== 'string') return undefined;
    const scope = typeof task.scope === 'object' ? task.scope : vscode.workspace.workspaceFolders?.[0];
    if (!scope) return undefined;
    // The definition must be the very object of the task being resolved.
    return this.task(task.definition as PymlTaskDefinition, scope);
  }

  private task(def: PymlTaskDefinition, scope: vscode.WorkspaceFolder): vscode.Task {
    const folder = path.resolve(scope.uri.fsPath, def.folder);
    const task = new vscode.Task(
      def,
      scope,
      `${TITLES[def.action]} ${path.basename(folder)}`,
      TASK_TYPE,
      new vscode.CustomExecution(() => Promise.resolve(new TaskTerminal(this.lazyManager, this.explain, def.action, folder))),
      [],
    );
    if (def.action === 'build') task.group = vscode.TaskGroup.Build;
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, clear: true };
    return task;
  }
}

/** Runs one action and writes its output; closes with the exit code (0 ready/built, 1 failed). */
class TaskTerminal implements vscode.Pseudoterminal {
  private readonly writer = new vscode.EventEmitter<string>();
  private readonly closer = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writer.event;
  readonly onDidClose = this.closer.event;
  private readonly cancel = new vscode.CancellationTokenSource();

  constructor(
    private readonly lazyManager: LazyContainerManager,
    private readonly explain: ExplainError,
    private readonly action: TaskAction,
    private readonly folder: string,
  ) {}

  open(): void {
    void this.run().then((code) => {
      this.closer.fire(code);
    });
  }

  close(): void {
    this.cancel.cancel();
  }

  private write(text: string): void {
    this.writer.fire(`${text.replace(/\r?\n/g, '\r\n')}\r\n`);
  }

  private async run(): Promise<number> {
    const sink: ProgressSink = {
      report: (message) => {
        this.write(`\x1b[2m* ${message}\x1b[0m`);
      },
      line: (text) => {
        this.write(text);
      },
    };
    try {
      const manager = await this.lazyManager.get();
      if (this.action === 'build') {
        const result = await manager.build(this.folder, sink, this.cancel.token);
        if (!result) return this.done(1, 'cancelled');
        return this.done(0, `built ${result.tag}: ${result.cachedSteps.length} of ${result.steps.length} steps from the cache`);
      }
      const model = await manager.run(this.folder, this.action === 'runDev' ? 'dev' : 'run', sink, this.cancel.token);
      if (!model) return this.done(1, 'cancelled');
      return this.done(0, `${model.container.info.modelName} is ready at ${model.container.info.address}`);
    } catch (err) {
      // Docker not running gets the notification every command gives (Retry, Open Settings) too.
      if (err instanceof Error && err.name === 'DockerUnavailableError') this.explain(err);
      return this.done(1, err instanceof Error ? err.message : String(err));
    }
  }

  private done(code: number, message: string): number {
    this.write(code === 0 ? `\x1b[32m${message}\x1b[0m` : `\x1b[31m${message}\x1b[0m`);
    this.cancel.dispose();
    return code;
  }
}
