/** The Docker engine for a command: answering, or the user is told how to start it (Retry, Open Settings). */
import { DockerUnavailableError } from '../container/containerErrors';
import type { Engine } from '../container/engine';
import type { ContainerManager } from '../container/manager';
import type { Ctx } from '../ctx';

/** The engine, or undefined once the user gave up on Docker; every command that needs Docker asks here first. */
export async function dockerOrExplain(ctx: Ctx, manager: ContainerManager): Promise<Engine | undefined> {
  for (;;) {
    try {
      return await manager.answeringEngine();
    } catch (err) {
      if (!(err instanceof DockerUnavailableError)) throw err;
      const choice = await ctx.log.explain(err, { retry: true });
      if (choice !== 'retry') return undefined;
    }
  }
}
