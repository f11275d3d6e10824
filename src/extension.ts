import * as vscode from 'vscode';
import { COMMANDS } from './commands/index';
import { registerCommands } from './commands/table';
import { Ctx } from './context';
import { DebugSessions } from './debug/sessions';
import { registerPredict } from './predict/register';
import { PymlTaskProvider, TASK_TYPE } from './tasks/pymlTasks';
import { ModelsTree } from './views/modelsTree';
import { ModelStatusBar } from './views/statusBar';

/** What activate() returns to other extensions and to our tests. */
export interface PymlApi {
  /**
   * Milliseconds the extension itself spent starting: evaluating its bundle (first line to last)
   * plus running activate(). The extension host's own work between the two is not counted.
   */
  readonly activationMs: number;
}

declare const __PYML_LOAD_START__: number | undefined;
declare const __PYML_LOAD_END__: number | undefined;

let ctx: Ctx | undefined;

export function activate(extension: vscode.ExtensionContext): PymlApi {
  const start = performance.now();
  const loadMs =
    typeof __PYML_LOAD_START__ === 'number' && typeof __PYML_LOAD_END__ === 'number'
      ? __PYML_LOAD_END__ - __PYML_LOAD_START__
      : 0;
  try {
    ctx = new Ctx(extension);
    extension.subscriptions.push(ctx);
    registerCommands(ctx, COMMANDS);
    const tree = ctx.own(new ModelsTree(ctx.containers));
    ctx.own(vscode.window.registerTreeDataProvider('pyml.models', tree));
    ctx.own(
      vscode.commands.registerCommand('pyml.refreshModels', () => {
        tree.refresh();
      }),
    );
    ctx.own(new ModelStatusBar(ctx.containers));
    ctx.own(vscode.tasks.registerTaskProvider(TASK_TYPE, new PymlTaskProvider(ctx.containers)));
    registerPredict(ctx);
    ctx.own(new DebugSessions(ctx));
    startLanguageServer(ctx);
    startContainers(ctx);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    void vscode.window.showErrorMessage(`PyML failed to activate: ${message}`);
    throw err;
  }
  return { activationMs: loadMs + performance.now() - start };
}

/** The language server starts after activation returns, so it never delays it. */
function startLanguageServer(owner: Ctx): void {
  setImmediate(() => {
    void (async () => {
      try {
        const { createLanguageClient } = await import('./client/languageClient');
        const client = createLanguageClient(owner);
        owner.own({ dispose: () => void client.stop() });
        await client.start();
      } catch (err) {
        await owner.log.reportError('PyML: the language server could not start', err);
      }
    })();
  });
}

/** After activation: connect to Docker and find the models still running from an earlier window. */
function startContainers(owner: Ctx): void {
  setImmediate(() => {
    void owner.containers
      .get()
      .then((manager) => manager.startInBackground())
      .catch((err: unknown) => owner.log.reportError('PyML: the container support could not start', err));
  });
}

export function deactivate(): void {
  ctx?.dispose();
  ctx = undefined;
}
