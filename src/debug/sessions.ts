/**
 * The `pyml` debug type in the editor: a configuration provider (F5 works with no launch.json), our
 * own debug adapter descriptor (DAP straight to debugpy in the model's container: no other
 * extension needed), a tracker that tells the panel when a request is paused, and the rule that
 * ending the session stops the container.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { enclosingModelFolder, resolveModelFolder } from '../commands/modelFolder';
import type { Ctx } from '../ctx';
import { errorMessage } from '../log';
import { attachArguments, configurationProblem, DEBUG_TYPE, defaultConfiguration, type PymlDebugConfiguration } from './debugConfiguration';
import type { DebugTarget } from './launch';

/** Requests of the client that resume a paused program. */
const RESUMING = new Set(['continue', 'next', 'stepIn', 'stepOut', 'stepBack', 'reverseContinue', 'goto']);

export class DebugSessions implements vscode.Disposable {
  private readonly targets = new Map<string, DebugTarget>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly ctx: Ctx) {
    this.disposables.push(
      vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, this.provider(), vscode.DebugConfigurationProviderTriggerKind.Initial),
      vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, { provideDebugConfigurations: () => [defaultConfiguration('${workspaceFolder}', false)] }, vscode.DebugConfigurationProviderTriggerKind.Dynamic),
      vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, { createDebugAdapterDescriptor: (session) => this.createDescriptor(session) }),
      vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, { createDebugAdapterTracker: (session) => this.tracker(session) }),
      vscode.debug.onDidTerminateDebugSession((session) => {
        void this.ended(session);
      }),
    );
  }

  /** The model container a session debugs (tests and the bench ask). */
  target(sessionId: string): { readonly folder: string; readonly address: string; readonly containerId: string } | undefined {
    const t = this.targets.get(sessionId);
    return t ? { folder: t.folder, address: t.address, containerId: t.container.info.id } : undefined;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
  }

  private provider(): vscode.DebugConfigurationProvider {
    return {
      provideDebugConfigurations: () => [defaultConfiguration('${workspaceFolder}', false)],
      resolveDebugConfiguration: async (_folder, config) => {
        if (!vscode.workspace.isTrusted) {
          void vscode.window.showWarningMessage(
            'PyML: debugging builds and runs code from this workspace, so it is disabled in Restricted Mode. Trust the workspace to debug a model.',
          );
          return undefined;
        }
        // F5 without launch.json: an empty configuration.
        const base: PymlDebugConfiguration = config.type ? (config) : defaultConfiguration();
        const problem = configurationProblem(base);
        if (problem) {
          void vscode.window.showErrorMessage(`PyML: the debug configuration "${base.name}" is not valid: ${problem}`);
          return undefined;
        }
        if (base.folder === undefined) {
          const folder = await resolveModelFolder(undefined, 'debug');
          if (!folder) return undefined;
          return { ...base, folder };
        }
        return base;
      },
      resolveDebugConfigurationWithSubstitutedVariables: async (_folder, config) => {
        const c = config as PymlDebugConfiguration;
        const folder = c.folder !== undefined ? await enclosingModelFolder(path.resolve(c.folder)) : undefined;
        if (!folder) {
          void vscode.window.showErrorMessage(`PyML: ${c.folder ?? 'the debug configuration'} is not in a model folder (no pyml.yaml found there or above it).`);
          return undefined;
        }
        const setting = vscode.workspace.getConfiguration('pyml').get<boolean>('debug.justMyCode', true);
        return attachArguments(c, folder, this.ctx.asAbsolutePath('runtime'), setting);
      },
    };
  }

  /** Starts the model's debug container (its module loads on first use) and returns the way to its debugger. */
  private async createDescriptor(session: vscode.DebugSession): Promise<vscode.DebugAdapterDescriptor> {
    const { launchDebugContainer } = await import('./launch');
    const started = await launchDebugContainer(this.ctx, session, {
      onAttached: (target) => {
        this.targets.set(session.id, target);
        this.ctx.debugState.attach(target.address);
      },
      isAttached: () => this.targets.has(session.id),
    });
    return started.kind === 'unix' ? new vscode.DebugAdapterNamedPipeServer(started.path) : new vscode.DebugAdapterServer(started.port, started.host);
  }

  private tracker(session: vscode.DebugSession): vscode.DebugAdapterTracker {
    const state = this.ctx.debugState;
    const address = (): string | undefined => this.targets.get(session.id)?.address;
    return {
      onDidSendMessage: (message: { type?: string; event?: string; body?: { reason?: string } }) => {
        const at = address();
        if (!at || message.type !== 'event') return;
        if (message.event === 'stopped') state.setPaused(at, true, message.body?.reason ?? 'breakpoint');
        if (message.event === 'continued') state.setPaused(at, false);
      },
      onWillReceiveMessage: (message: { type?: string; command?: string }) => {
        const at = address();
        if (at && message.type === 'request' && message.command && RESUMING.has(message.command)) state.setPaused(at, false);
      },
    };
  }

  /** The session ended: the container goes with it. */
  private async ended(session: vscode.DebugSession): Promise<void> {
    const target = this.targets.get(session.id);
    if (!target) return;
    this.targets.delete(session.id);
    this.ctx.debugState.detach(target.address);
    try {
      const manager = await this.ctx.containerManager.get();
      if (manager.model(target.folder)?.container.info.id === target.container.info.id) {
        await manager.stop(target.folder);
      } else {
        // Not (or no longer) the folder's tracked model: a newer container may use the same socket
        // folder already, so only this container goes.
        target.container.close();
        await target.container.container.remove({ force: true }).catch(() => undefined);
      }
      this.ctx.log.info(`Debug session ended: stopped the container of ${path.basename(target.folder)}`);
    } catch (err) {
      this.ctx.log.warn(`Stopping the debug container of ${target.folder} failed: ${errorMessage(err)}`);
    }
  }
}
