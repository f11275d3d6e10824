import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './lsp/server';

/**
 * The PyML language server process. The transport comes from the command line the client uses:
 * Node IPC when VS Code starts it, `--stdio` for tests and other editors.
 */
startServer(createConnection(ProposedFeatures.all));
