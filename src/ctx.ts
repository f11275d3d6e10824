import * as vscode from 'vscode';
import { readConfig, type PymlConfig } from './config';
import { LazyContainerManager } from './container/lazyManager';
import { DebugState } from './debug/state';
import { Log } from './log';

/**
 * One object owns every long-lived part of the extension (log, settings,
 * language client, Docker connection) and everything that must be disposed.
 * Nothing else reaches for globals.
 */
export class Ctx implements vscode.Disposable {
  readonly log: Log;
  /** Docker: images and model containers (dockerode and gRPC load on first use). */
  readonly containerManager: LazyContainerManager;
  /** Which models a debug session holds, and whether it is paused (the panel asks). */
  readonly debugState = new DebugState();
  private readonly disposables: vscode.Disposable[] = [];
  private cachedConfig: PymlConfig | undefined;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.log = this.own(new Log());
    this.containerManager = this.own(new LazyContainerManager(this));
    this.own(this.debugState);
    this.own(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('pyml')) this.cachedConfig = undefined;
      }),
    );
  }

  get config(): PymlConfig {
    this.cachedConfig ??= readConfig();
    return this.cachedConfig;
  }

  get isTrusted(): boolean {
    return vscode.workspace.isTrusted;
  }

  /** Absolute path of a file shipped inside the extension (runtime/, dist/, media/ ...). */
  asAbsolutePath(relative: string): string {
    return this.extension.asAbsolutePath(relative);
  }

  own<T extends vscode.Disposable>(disposable: T): T {
    this.disposables.push(disposable);
    return disposable;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch {
        // Disposing must not stop the rest from being disposed.
      }
    }
  }
}
