import * as vscode from 'vscode';
import type { Ctx } from '../ctx';

/** What a command needs before its handler may run. */
export type Requirement = 'trust';

/** What runs when a command is invoked. */
export type CommandHandler = (ctx: Ctx, ...args: unknown[]) => Promise<void>;

export interface CommandSpec {
  /** The command id, as declared in package.json `contributes.commands`. */
  readonly id: string;
  /** The title the user sees, used in messages. */
  readonly title: string;
  readonly requires: readonly Requirement[];
  readonly run: CommandHandler;
}

/**
 * A handler whose module loads on the command's first use (a dynamic `import()`, so a chunk of its
 * own): registering the command costs nothing at activation. The module system keeps the loaded
 * module, and a failed load is tried again on the next invocation.
 */
export function lazyHandler<M>(load: () => Promise<M>, pick: (module: M) => CommandHandler): CommandHandler {
  return async (ctx, ...args) => {
    const handler = pick(await load());
    await handler(ctx, ...args);
  };
}

/**
 * Registers every command of the table. A command whose requirement is not met
 * says so and offers the way out; a command that throws reports the error with
 * "Show Logs". No command fails silently.
 */
export function registerCommands(ctx: Ctx, specs: readonly CommandSpec[]): void {
  for (const spec of specs) {
    ctx.own(
      vscode.commands.registerCommand(spec.id, async (...args: unknown[]) => {
        if (spec.requires.includes('trust') && !ctx.isTrusted) {
          await explainRestrictedMode(spec.title);
          return;
        }
        try {
          await spec.run(ctx, ...args);
        } catch (err) {
          await ctx.log.reportError(`PyML: ${spec.title} failed`, err);
        }
      }),
    );
  }
}

async function explainRestrictedMode(title: string): Promise<void> {
  const manage = 'Manage Workspace Trust';
  const choice = await vscode.window.showWarningMessage(
    `PyML: ${title} builds or runs code from this workspace, so it is disabled in Restricted Mode. ` +
      'Trust the workspace to use it; checking model folders works without trust.',
    manage,
  );
  if (choice === manage) await vscode.commands.executeCommand('workbench.trust.manage');
}

/** A stand-in for a capability that is not built yet: it says so plainly. */
export function notYetAvailable(title: string): CommandSpec['run'] {
  return async () => {
    await vscode.window.showInformationMessage(
      `PyML: ${title} is not available in this version of the extension yet.`,
    );
  };
}

