/**
 * What a finished batch run offers, in the host it runs in. `revealFileInOS` exists only in a
 * desktop window on the user's own machine (not in code-server, a browser, or a remote window), so it
 * is offered only there; the Explorer view and the editor exist everywhere. Plain data: the command
 * module performs the actions, and a follow-up that fails is reported as itself, never as a failed run.
 */

export type FollowUp =
  /** The first rows in the table preview (any format). */
  | 'preview'
  /** The file in a text editor (CSV only: Parquet and Arrow are binary). */
  | 'open'
  /** The file selected in the Explorer view (when it lies in a workspace folder). */
  | 'revealInExplorer'
  /** The file in the operating system's file manager (local desktop windows only). */
  | 'revealInOS'
  /** The same run again, no questions asked. */
  | 'runAgain';

export interface HostFacts {
  /** The output lies inside one of the workspace's folders. */
  readonly inWorkspace: boolean;
  /** The window is a desktop window on this machine with the `revealFileInOS` command. */
  readonly canRevealInOS: boolean;
}

export const FOLLOW_UP_LABEL: Readonly<Record<FollowUp, string>> = {
  preview: 'Preview',
  open: 'Open',
  revealInExplorer: 'Reveal in Explorer',
  revealInOS: 'Reveal in File Manager',
  runAgain: 'Run Again',
};

/** The buttons of the success notification, most useful first (at most four). */
export function followUpsFor(format: string, host: HostFacts): FollowUp[] {
  const out: FollowUp[] = ['preview'];
  if (format === 'csv') out.push('open');
  if (host.inWorkspace) out.push('revealInExplorer');
  else if (host.canRevealInOS) out.push('revealInOS');
  out.push('runAgain');
  return out;
}

/** Whether `revealFileInOS` can work here: a local desktop window that has the command. */
export function canRevealInOS(facts: { readonly uiKind: 'desktop' | 'web'; readonly remoteName: string | undefined; readonly commands: readonly string[] }): boolean {
  return facts.uiKind === 'desktop' && facts.remoteName === undefined && facts.commands.includes('revealFileInOS');
}
