import * as vscode from 'vscode';
import { actionLabel, errorText, explainError, type ErrorContext, type UserAction, type UserActionKind, type UserError } from './userError';

/** Internal command (not in the palette): the errors shown since activation, newest last, for tests. */
export const SHOWN_ERRORS_COMMAND = 'pyml.testing.shownErrors';

/** An error as it was shown: its message and the labels of its buttons. */
export interface ShownError {
  readonly message: string;
  readonly severity: UserError['severity'];
  readonly actions: readonly string[];
}

/** The single PyML log channel, and the one way errors reach the user (`explain`). */
export class Log implements vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;
  private readonly shown: ShownError[] = [];

  constructor(name = 'PyML') {
    this.channel = vscode.window.createOutputChannel(name, { log: true });
  }

  info(message: string, ...args: unknown[]): void {
    this.channel.info(message, ...args);
  }

  warn(message: string, ...args: unknown[]): void {
    this.channel.warn(message, ...args);
  }

  error(message: string | Error, ...args: unknown[]): void {
    this.channel.error(message, ...args);
  }

  show(): void {
    this.channel.show(true);
  }

  /**
   * Explains any error (userError.ts), logs its full text, and shows its message with its actions.
   * Never throws; resolves with the action the user picked once the notification is acted on or
   * dismissed (callers that need no answer do not wait for it). The action is performed here, except
   * `retry`, which the caller that asked for it handles.
   */
  async explain(err: unknown, context: ErrorContext = {}): Promise<UserActionKind | undefined> {
    const explained = explainError(err, context);
    this.logExplained(explained);
    const actions = explained.actions;
    const labels = actions.map(actionLabel);
    this.shown.push({ message: explained.message, severity: explained.severity, actions: labels });
    if (this.shown.length > 50) this.shown.shift();
    const text = `PyML: ${explained.message}`;
    const show =
      explained.severity === 'info' ? vscode.window.showInformationMessage : explained.severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showErrorMessage;
    const choice = await show(text, ...labels);
    const action = actions[labels.indexOf(choice ?? '')];
    if (!action) return undefined;
    try {
      await this.perform(action);
    } catch (failure) {
      this.channel.error(`PyML: '${actionLabel(action)}' failed: ${errorText(failure)}`);
    }
    return action.kind;
  }

  /**
   * Logs the error and shows `summary: message` with its actions ("Show Logs" at least).
   * Never throws; resolves once the notification is dismissed or acted on.
   */
  async reportError(summary: string, err?: unknown): Promise<void> {
    const what = summary.replace(/^PyML: /, '');
    await this.explain(err === undefined ? new Error(what) : err, err === undefined ? {} : { summary: what });
  }

  /** The errors shown so far (tests read them through SHOWN_ERRORS_COMMAND). */
  shownErrors(): readonly ShownError[] {
    return [...this.shown];
  }

  dispose(): void {
    this.channel.dispose();
  }

  private logExplained(explained: UserError): void {
    const level = explained.severity === 'info' ? 'info' : explained.severity === 'warning' ? 'warn' : 'error';
    this.channel[level](explained.log);
    const cause = explained.cause;
    if (cause instanceof Error && cause.stack) this.channel.debug(cause.stack);
  }

  private async perform(action: UserAction): Promise<void> {
    switch (action.kind) {
      case 'showLogs':
        this.show();
        return;
      case 'showProblems':
        await vscode.commands.executeCommand('workbench.actions.view.problems');
        return;
      case 'retry':
        return; // the caller retries
      case 'openSettings':
        await vscode.commands.executeCommand('workbench.action.openSettings', action.setting);
        return;
      case 'openFile': {
        const line = Math.max(0, action.line - 1);
        await vscode.window.showTextDocument(vscode.Uri.file(action.file), { selection: new vscode.Range(line, 0, line, 0) });
        return;
      }
      case 'runModel':
        await vscode.commands.executeCommand('pyml.runModel', vscode.Uri.file(action.folder));
        return;
      case 'manageTrust':
        await vscode.commands.executeCommand('workbench.trust.manage');
        return;
      case 'command':
        await vscode.commands.executeCommand(action.command, ...(action.args ?? []));
        return;
      case 'runInTerminal': {
        const terminal = vscode.window.createTerminal({ name: action.terminal });
        terminal.show();
        terminal.sendText(action.text);
        return;
      }
    }
  }
}

/** The message of any thrown value. */
export function errorMessage(err: unknown): string {
  return errorText(err);
}
