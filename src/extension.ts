import * as vscode from 'vscode';
import { registerContainerPrompts } from './commands/containerPrompts';
import { COMMANDS } from './commands/index';
import { registerCommands } from './commands/table';
import { Ctx } from './ctx';
import { SHOWN_ERRORS_COMMAND } from './log';
import { DebugSessions } from './debug/sessions';
import { registerBatchUi } from './batchUi/register';
import { registerPredict } from './predict/register';
import { PymlTaskProvider, TASK_TYPE } from './tasks/pymlTasks';
import { ModelsTree } from './views/modelsTree';
import { ModelStatusBar } from './views/statusBar';
import { openWalkthroughOnce } from './views/welcome';

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
    const tree = ctx.own(new ModelsTree(ctx.containerManager));
    ctx.own(vscode.window.registerTreeDataProvider('pyml.models', tree));
    ctx.own(
      vscode.commands.registerCommand('pyml.refreshModels', () => {
        tree.refresh();
      }),
    );
    ctx.own(new ModelStatusBar(ctx.containerManager));
    const log = ctx.log;
    ctx.own(
      vscode.tasks.registerTaskProvider(
        TASK_TYPE,
        new PymlTaskProvider(ctx.containerManager, (err) => {
          void log.explain(err);
        }),
      ),
    );
    ctx.own(vscode.commands.registerCommand(SHOWN_ERRORS_COMMAND, () => log.shownErrors()));
    registerContainerPrompts(ctx);
    registerPredict(ctx);
    registerBatchUi(ctx);
    startSampleTests(ctx);
    ctx.own(new DebugSessions(ctx));
    startLanguageServer(ctx);
    startContainers(ctx);
    openWalkthroughOnce(extension);
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
        await owner.log.explain(err, { summary: 'the language server could not start' });
      }
    })();
  });
}

/** The Test Explorer's samples (src/testing/), after activation: their module loads in its own chunk. */
function startSampleTests(owner: Ctx): void {
  setImmediate(() => {
    void (async () => {
      try {
        const { registerSampleTests } = await import('./testing/sampleTests');
        registerSampleTests(owner);
      } catch (err) {
        owner.log.error(`PyML: the Test Explorer samples could not start: ${err instanceof Error ? err.message : String(err)}`);
      }
    })();
  });
}

/** After activation: connect to Docker and find the models still running from an earlier window. */
function startContainers(owner: Ctx): void {
  setImmediate(() => {
    void owner.containerManager
      .get()
      .then((manager) => manager.startInBackground())
      .catch((err: unknown) => owner.log.explain(err, { summary: 'the container support could not start' }));
  });
}

export function deactivate(): void {
  ctx?.dispose();
  ctx = undefined;
}
