import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  RevealOutputChannelOn,
  State,
  TransportKind,
  type CloseHandlerResult,
  type ErrorHandler,
  type ErrorHandlerResult,
  type LanguageClientOptions,
  type Middleware,
  type ServerOptions,
} from 'vscode-languageclient/node';
import type { Ctx } from '../ctx';
import type { Log } from '../log';
import { isModelCommand, WorkspaceTrustNotification, type InitializationOptions } from '../shared/lsp';

/**
 * Starts the PyML language server in its own Node process (dist/server.js).
 * The client is owned by the context and stopped on deactivation.
 */
export function createLanguageClient(ctx: Ctx): LanguageClient {
  const module = ctx.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  // Read when the client starts, so trust granted between creation and start is not missed.
  const initializationOptions = (): InitializationOptions => ({ workspaceTrusted: ctx.isTrusted });
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'python' },
      { scheme: 'file', pattern: '**/pyml.yaml' },
      { scheme: 'file', pattern: '**/requirements.txt' },
      { scheme: 'file', pattern: '**/packages.txt' },
    ],
    synchronize: {
      // Model files, and the data files the model reads (PYML210 checks they exist).
      fileEvents: [
        vscode.workspace.createFileSystemWatcher('**/{pyml.yaml,requirements.txt,packages.txt,*.py}'),
        vscode.workspace.createFileSystemWatcher('**/data/**'),
      ],
    },
    outputChannel: ctx.log.channel,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    initializationOptions,
    errorHandler: new ServerErrorHandler(ctx.log),
    middleware: codeLensCommands,
  };
  const client = new LanguageClient('pyml', 'PyML Language Server', serverOptions, clientOptions);
  ctx.own(
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      // Before start, initializationOptions carries it; once stopped there is no one to tell.
      if (client.state !== State.Running) return;
      client.sendNotification(WorkspaceTrustNotification, { trusted: true }).catch((err: unknown) => {
        ctx.log.error(`PyML: could not tell the language server about Workspace Trust: ${err instanceof Error ? err.message : String(err)}`);
      });
    }),
  );
  return client;
}

/**
 * The server names the model folder of a CodeLens as a URI string (JSON cannot carry a vscode.Uri);
 * the commands (pyml.buildImage, pyml.runModel, pyml.openPanel) take a vscode.Uri.
 */
export const codeLensCommands: Middleware = {
  provideCodeLenses: async (document, token, next) => {
    const lenses = await next(document, token);
    for (const lens of lenses ?? []) {
      const command = lens.command;
      const folder: unknown = command?.arguments?.[0];
      if (command && isModelCommand(command.command) && typeof folder === 'string') {
        command.arguments = [vscode.Uri.parse(folder)];
      }
    }
    return lenses;
  },
};

/**
 * A crashed server is reported once, with "Show Logs", and not restarted: a server that crashes on
 * some input would otherwise crash again on every restart. Transient connection errors are logged
 * and tolerated a few times in a row.
 */
export class ServerErrorHandler implements ErrorHandler {
  private reported = false;

  constructor(
    private readonly log: Pick<Log, 'error' | 'reportError'>,
    private readonly maxErrors = 3,
  ) {}

  error(error: Error, _message: unknown, count: number | undefined): ErrorHandlerResult {
    this.log.error(`PyML language server connection error: ${error.message}`);
    return (count ?? 1) <= this.maxErrors ? { action: ErrorAction.Continue, handled: true } : { action: ErrorAction.Shutdown, handled: true };
  }

  closed(): CloseHandlerResult {
    if (!this.reported) {
      this.reported = true;
      void this.log.reportError(
        'PyML: the language server stopped unexpectedly; contract checks are off until the window is reloaded',
      );
    }
    return { action: CloseAction.DoNotRestart, handled: true };
  }
}
