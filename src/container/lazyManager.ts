/**
 * The container manager, loaded on first use: dockerode and gRPC live in a chunk of their own so
 * that activation never pays for them. Commands, the tree, the status bar, the tasks, the panel and
 * the Test Explorer all go through this one handle (and so through one Docker connection).
 */
import * as vscode from 'vscode';
import type { ContainerHost } from './host';
import type { ContainerManager } from './manager';

export class LazyContainerManager implements vscode.Disposable {
  private loading: Promise<ContainerManager> | undefined;
  private loaded: ContainerManager | undefined;
  private readonly didLoad = new vscode.EventEmitter<ContainerManager>();
  /** Fires once, when the manager is ready. */
  readonly onDidLoad = this.didLoad.event;
  private disposed = false;

  constructor(private readonly host: ContainerHost) {}

  /** The manager, loading its chunk the first time. */
  get(): Promise<ContainerManager> {
    this.loading ??= import('./manager').then(
      (m) => {
        if (this.disposed) throw new Error('PyML is shutting down');
        const manager = new m.ContainerManager(this.host);
        this.loaded = manager;
        this.didLoad.fire(manager);
        return manager;
      },
      (err: unknown) => {
        this.loading = undefined; // a later call tries again
        throw err;
      },
    );
    return this.loading;
  }

  /** The manager if it is loaded already (the tree asks without forcing a load). */
  peek(): ContainerManager | undefined {
    return this.loaded;
  }

  dispose(): void {
    this.disposed = true;
    this.loaded?.dispose();
    this.didLoad.dispose();
  }
}
