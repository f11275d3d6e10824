import * as vscode from 'vscode';

/** The single PyML log channel, and the one way errors reach the user. */
export class Log implements vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;

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
   * Logs the error with its stack and shows a short notification with "Show Logs".
   * Never throws; resolves once the notification is dismissed or acted on.
   */
  async reportError(summary: string, err?: unknown): Promise<void> {
    const detail = err === undefined ? '' : `: ${errorMessage(err)}`;
    this.channel.error(`${summary}${detail}`);
    if (err instanceof Error && err.stack) this.channel.debug(err.stack);
    const choice = await vscode.window.showErrorMessage(`${summary}${detail}`, 'Show Logs');
    if (choice === 'Show Logs') this.show();
  }

  dispose(): void {
    this.channel.dispose();
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
