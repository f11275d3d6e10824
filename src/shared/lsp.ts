/**
 * Everything the extension and the PyML language server say to each other beyond standard LSP,
 * declared once and typed; both sides import this module.
 */
import { NotificationType } from 'vscode-languageserver-protocol';

/** Sent with `initialize`. */
export interface InitializationOptions {
  /** VS Code Workspace Trust. The server only reads and validates either way; it never runs user code. */
  readonly workspaceTrusted: boolean;
}

/**
 * Extension → server, after each image build of a model folder: a failed dependency step becomes
 * diagnostics on the lines of requirements.txt / packages.txt that caused it (PYML500 / PYML501);
 * a successful build clears them. Editing the file clears them too.
 */
export interface BuildResultParams {
  /** The model folder's URI (`vscode.Uri.toString()`). */
  readonly folder: string;
  readonly ok: boolean;
  /** Which dependency step failed: `pip install -r requirements.txt` or `apt-get install` of packages.txt. */
  readonly step?: 'pip' | 'apt';
  /** The failed step's output (the build log lines of that step). */
  readonly log?: string;
}

export const buildResult = new NotificationType<BuildResultParams>('pyml/buildResult');

/** The commands the CodeLens over a model class runs; each takes the model folder's URI as its one argument. */
export const MODEL_COMMANDS = {
  build: { command: 'pyml.buildImage', title: '$(package) Build' },
  run: { command: 'pyml.runModel', title: '$(play) Run' },
  test: { command: 'pyml.openPanel', title: '$(beaker) Test' },
} as const;

export type ModelCommandId = (typeof MODEL_COMMANDS)[keyof typeof MODEL_COMMANDS]['command'];

export function isModelCommand(command: string): command is ModelCommandId {
  return Object.values(MODEL_COMMANDS).some((c) => c.command === command);
}
