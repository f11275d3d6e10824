/**
 * The end of a successful batch run: one notification that says what was written in words that read
 * well, with what this host can do with the file (Preview, Open, Reveal in Explorer, Run Again). A
 * follow-up that fails says so as itself, as a warning; it never turns the finished run into a failure.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { canRevealInOS, FOLLOW_UP_LABEL, followUpsFor, type FollowUp } from '../batchUi/followUps';
import { doneMessage } from '../batchUi/wording';
import type { Ctx } from '../ctx';
import { errorText } from '../userError';
import { shown, workspaceRootOf } from './batchPrompts';

export interface Done {
  readonly output: string;
  readonly format: string;
  readonly rows: number;
  readonly totalMs: number;
  readonly predictMs: number;
}

/** Shows the success notification and performs the follow-up the user picks; `runAgain` is the caller's. */
export async function reportDone(ctx: Ctx, done: Done, runAgain: () => Promise<void>): Promise<void> {
  const followUps = followUpsFor(done.format, { inWorkspace: workspaceRootOf(done.output) !== undefined, canRevealInOS: await hostCanRevealInOS() });
  const labels = followUps.map((f) => FOLLOW_UP_LABEL[f]);
  const message = doneMessage({ rows: done.rows, output: shown(done.output), totalMs: done.totalMs, predictMs: done.predictMs });
  ctx.log.info(`Batch: ${message}`);
  const choice = await vscode.window.showInformationMessage(`PyML: ${message}`, ...labels);
  const followUp = followUps[labels.indexOf(choice ?? '')];
  if (!followUp) return;
  if (followUp === 'runAgain') {
    await runAgain();
    return;
  }
  await performFollowUp(ctx, followUp, done);
}

/** Performs one follow-up; a failure is a warning about that action, never about the run. */
export async function performFollowUp(ctx: Ctx, followUp: Exclude<FollowUp, 'runAgain'>, done: Pick<Done, 'output' | 'rows'>): Promise<void> {
  const uri = vscode.Uri.file(done.output);
  try {
    switch (followUp) {
      case 'preview': {
        const { TablePreview } = await import('../batchUi/previewPanel');
        TablePreview.createOrShow(ctx, done.output, { knownRows: done.rows });
        return;
      }
      case 'open':
        await vscode.window.showTextDocument(uri, { preview: false });
        return;
      case 'revealInExplorer':
        await vscode.commands.executeCommand('revealInExplorer', uri);
        return;
      case 'revealInOS':
        await vscode.commands.executeCommand('revealFileInOS', uri);
        return;
    }
  } catch (err) {
    const what = FOLLOW_UP_LABEL[followUp];
    ctx.log.warn(`Batch: '${what}' on ${done.output} failed: ${errorText(err)}`);
    void vscode.window.showWarningMessage(`PyML: the predictions are written (${path.basename(done.output)}), but '${what}' did not work here: ${errorText(err)}`);
  }
}

async function hostCanRevealInOS(): Promise<boolean> {
  const commands = await vscode.commands.getCommands(false);
  return canRevealInOS({ uiKind: vscode.env.uiKind === vscode.UIKind.Desktop ? 'desktop' : 'web', remoteName: vscode.env.remoteName, commands });
}
