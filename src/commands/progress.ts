/** The progress notification of container work: cancellable, its messages from the container code. */
import * as vscode from 'vscode';
import type { ProgressSink } from '../container/runningModel';

export function withModelProgress<T>(title: string, work: (progress: ProgressSink, token: vscode.CancellationToken) => Promise<T>): Promise<T> {
  return Promise.resolve(
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `PyML: ${title}`, cancellable: true }, (progress, token) =>
      work(
        {
          report: (message, increment) => {
            progress.report(increment === undefined ? { message } : { message, increment });
          },
        },
        token,
      ),
    ),
  );
}
