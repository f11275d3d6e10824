import * as vscode from 'vscode';
import {
  LanguageClient,
  RevealOutputChannelOn,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import type { Ctx } from '../context';

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
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'python' },
      { scheme: 'file', pattern: '**/pyml.yaml' },
      { scheme: 'file', pattern: '**/requirements.txt' },
      { scheme: 'file', pattern: '**/packages.txt' },
    ],
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher('**/{pyml.yaml,requirements.txt,packages.txt,*.py}'),
    },
    outputChannel: ctx.log.channel,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    initializationOptions: { workspaceTrusted: ctx.isTrusted },
  };
  return new LanguageClient('pyml', 'PyML Language Server', serverOptions, clientOptions);
}
