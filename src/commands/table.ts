import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { UserError } from '../userError';

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
 * says so and offers the way out; a command that throws has its error explained
 * (Log.explain: the message and its actions, e.g. Show Problems for a failed build,
 * Show Logs always). No command fails silently.
 */
export function registerCommands(ctx: Ctx, specs: readonly CommandSpec[]): void {
  for (const spec of specs) {
    ctx.own(
      vscode.commands.registerCommand(spec.id, async (...args: unknown[]) => {
        if (spec.requires.includes('trust') && !ctx.isTrusted) {
          await ctx.log.explain(restrictedMode(spec.title));
          return;
        }
        try {
          await spec.run(ctx, ...args);
        } catch (err) {
          // Not awaited: the command is done when its error is shown, not when the user acts on it.
          void ctx.log.explain(err, { summary: `${spec.title} failed` });
        }
      }),
    );
  }
}

function restrictedMode(title: string): UserError {
  return new UserError(
    `${title} builds or runs code from this workspace, so it is disabled in Restricted Mode. ` +
      'Trust the workspace to use it; checking model folders works without trust.',
    { severity: 'warning', actions: [{ kind: 'manageTrust' }] },
  );
}
