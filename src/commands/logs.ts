/**
 * PyML: Show Model Container Logs — the container's own log stream (`docker logs --follow` from the
 * container's start, so lines printed before a window reload are there too) in an output channel of
 * its own per model, not the extension's mixed PyML channel. When the model's container is replaced
 * (a restart, a new run), the channel follows the new one.
 */
import type Docker from 'dockerode';
import * as vscode from 'vscode';
import { LABEL } from '../container/labels';
import { followLogs } from '../container/logs';
import type { ContainerManager } from '../container/manager';
import type { Ctx } from '../ctx';
import { errorText } from '../userError';
import { dockerOrExplain } from './docker';
import { resolveModelFolder } from './modelFolder';

/** One model's channel and the container it follows. */
interface Followed {
  readonly channel: vscode.OutputChannel;
  containerId: string;
  stop: AbortController;
}

/** The container a command argument names: a container item of the Models view carries its id. */
function containerIdOf(arg: unknown): string | undefined {
  if (typeof arg !== 'object' || arg === null) return undefined;
  const container = (arg as { container?: unknown }).container;
  if (typeof container !== 'object' || container === null) return undefined;
  const id = (container as { id?: unknown }).id;
  return typeof id === 'string' ? id : undefined;
}

class ContainerLogViews implements vscode.Disposable {
  private readonly byFolder = new Map<string, Followed>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    ctx: Ctx,
    private readonly manager: ContainerManager,
  ) {
    // A model whose container is replaced (restart, run again): its open channel follows the new one.
    this.disposables.push(
      manager.onDidChange((folder) => {
        for (const [f, followed] of this.byFolder) {
          if (folder !== undefined && folder !== f) continue;
          const model = manager.model(f);
          if (model && model.status !== 'exited' && model.container.info.id !== followed.containerId) {
            void this.follow(f, model.container.info.id, false).catch((err: unknown) => {
              ctx.log.warn(`Container log of ${f}: ${errorText(err)}`);
            });
          }
        }
      }),
    );
  }

  /** Shows the channel of a folder's container, following it from its start. */
  async show(folder: string, containerId: string | undefined): Promise<void> {
    const id = containerId ?? (await this.currentContainer(folder))?.Id;
    if (!id) {
      void vscode.window.showInformationMessage(`PyML: ${folder} has no model container (run the model first).`);
      return;
    }
    const known = this.byFolder.get(folder);
    if (known && known.containerId === id) {
      known.channel.show(true);
      return;
    }
    await this.follow(folder, id, true);
  }

  dispose(): void {
    for (const f of this.byFolder.values()) {
      f.stop.abort();
      f.channel.dispose();
    }
    this.byFolder.clear();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  /** The model container of a folder the window tracks, else the newest one Docker has (running or not). */
  private async currentContainer(folder: string): Promise<{ Id: string } | undefined> {
    const tracked = this.manager.model(folder);
    if (tracked) return { Id: tracked.container.info.id };
    const engine = await this.manager.engine();
    const list = await engine.docker.listContainers({ all: true, filters: { label: [LABEL.name, `${LABEL.folder}=${folder}`] } });
    return list.sort((a, b) => b.Created - a.Created)[0];
  }

  private async follow(folder: string, id: string, reveal: boolean): Promise<void> {
    const engine = await this.manager.engine();
    const container = engine.docker.getContainer(id);
    const info = await container.inspect();
    const name = info.Config.Labels[LABEL.name] ?? info.Name.replace(/^\//, '');
    let followed = this.byFolder.get(folder);
    if (followed) {
      followed.stop.abort();
      followed.containerId = id;
      followed.stop = new AbortController();
    } else {
      followed = { channel: vscode.window.createOutputChannel(`PyML: ${name} container`), containerId: id, stop: new AbortController() };
      this.byFolder.set(folder, followed);
    }
    const { channel, stop } = followed;
    channel.appendLine(`── ${info.Name.replace(/^\//, '')} (${info.Config.Image}), started ${info.State.StartedAt}: docker logs --follow ──`);
    if (reveal) channel.show(true);
    void followLogs(
      container,
      (line) => {
        channel.appendLine(line.text);
      },
      { signal: stop.signal },
    )
      .then(() => (stop.signal.aborted ? undefined : ended(container, channel)))
      .catch((err: unknown) => {
        if (!stop.signal.aborted) channel.appendLine(`── the log stream ended: ${errorText(err)} ──`);
      });
  }
}

/** Notes how the container ended once its stream has. */
async function ended(container: Docker.Container, channel: vscode.OutputChannel): Promise<void> {
  const info = await container.inspect().catch(() => undefined);
  if (!info) {
    channel.appendLine('── the container was removed ──');
    return;
  }
  if (info.State.Running) return;
  channel.appendLine(`── the container stopped (exit code ${info.State.ExitCode}${info.State.OOMKilled ? ', out of memory' : ''}) at ${info.State.FinishedAt} ──`);
}

let views: ContainerLogViews | undefined;

export async function showModelLogsCommand(ctx: Ctx, arg?: unknown): Promise<void> {
  const manager = await ctx.containerManager.get();
  const running = manager.models();
  const folder = await resolveModelFolder(arg ?? (running.length === 1 ? running[0]?.folder : undefined), 'show the container log of');
  if (!folder) return;
  if (!(await dockerOrExplain(ctx, manager))) return;
  views ??= ctx.own(new ContainerLogViews(ctx, manager));
  await views.show(folder, containerIdOf(arg));
}
