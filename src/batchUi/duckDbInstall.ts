/**
 * Installs DuckDB for SQL inputs when the user agrees: `npm install` into the extension's global
 * storage, run as a task (its output in a terminal the user can read), awaited to its exit code, so
 * the batch run that needed it goes on with the same query instead of being dropped.
 */
import { promises as fs } from 'fs';
import * as vscode from 'vscode';
import { DUCKDB_PACKAGE, DUCKDB_VERSION } from '../batch/duckdb';

export type InstallOutcome = { readonly ok: true } | { readonly ok: false; readonly why: string };

export const INSTALL_TASK_NAME = 'install DuckDB';

/** Runs `npm install --prefix DIR @duckdb/node-api@VERSION` as a task and waits for it to end. */
export async function installDuckDb(installDir: string, token?: vscode.CancellationToken): Promise<InstallOutcome> {
  await fs.mkdir(installDir, { recursive: true });
  const execution = new vscode.ShellExecution('npm', ['install', '--no-audit', '--no-fund', '--prefix', installDir, `${DUCKDB_PACKAGE}@${DUCKDB_VERSION}`]);
  const task = new vscode.Task({ type: 'shell', pyml: 'duckdb' }, vscode.TaskScope.Workspace, INSTALL_TASK_NAME, 'PyML', execution, []);
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true, focus: false };
  const ended = new Promise<number | undefined>((resolve) => {
    const sub = vscode.tasks.onDidEndTaskProcess((e) => {
      if (e.execution.task.name !== INSTALL_TASK_NAME || e.execution.task.source !== 'PyML') return;
      sub.dispose();
      resolve(e.exitCode);
    });
  });
  const running = await vscode.tasks.executeTask(task);
  const cancel = token?.onCancellationRequested(() => {
    running.terminate();
  });
  try {
    const code = await ended;
    if (code === 0) return { ok: true };
    if (token?.isCancellationRequested) return { ok: false, why: 'the install was cancelled' };
    return { ok: false, why: `npm exited with code ${code ?? 'unknown'} (its output is in the terminal "${INSTALL_TASK_NAME}")` };
  } finally {
    cancel?.dispose();
  }
}
