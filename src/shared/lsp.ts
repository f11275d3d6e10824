import { NotificationType } from 'vscode-languageserver-protocol';

/**
 * Everything the extension and the PyML language server say to each other beyond standard LSP,
 * declared once and typed; both sides import this module.
 */

/** Sent with `initialize`. */
export interface InitializationOptions {
  /**
   * VS Code Workspace Trust. The server only reads and validates either way; it never runs user code.
   * In an untrusted workspace it offers no Build/Run/Test lenses: those commands are refused there.
   */
  readonly workspaceTrusted: boolean;
}

export interface WorkspaceTrustParams {
  readonly trusted: boolean;
}

/** Client → server: the user granted Workspace Trust after the server started (VS Code never revokes it in a running window). */
export const WorkspaceTrustNotification = new NotificationType<WorkspaceTrustParams>('pyml/workspaceTrust');

/** The commands the CodeLens over a model class runs; each takes the model folder's URI as its one argument. */
export const MODEL_COMMANDS = {
  build: { command: 'pyml.buildImage', title: '$(package) Build' },
  run: { command: 'pyml.runModel', title: '$(play) Run' },
  test: { command: 'pyml.openPanel', title: '$(beaker) Test' },
  debug: { command: 'pyml.debugModel', title: '$(debug-alt) Debug' },
} as const;

export type ModelCommandId = (typeof MODEL_COMMANDS)[keyof typeof MODEL_COMMANDS]['command'];

export function isModelCommand(command: string): command is ModelCommandId {
  return Object.values(MODEL_COMMANDS).some((c) => c.command === command);
}
