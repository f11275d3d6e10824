import * as path from 'path';
import * as vscode from 'vscode';
import type { LazyContainerManager } from '../container/lazyManager';
import type { ContainerEntry, ContainerManager, ImageEntry, RunningModel } from '../container/manager';

/** A model folder of the workspace: the folder that holds a `pyml.yaml`. */
export interface ModelFolderItem {
  readonly kind: 'model';
  readonly manifest: vscode.Uri;
}

/** An image built from a model folder. */
export interface ImageItem {
  readonly kind: 'image';
  readonly folder: string;
  readonly image: ImageEntry;
}

/** A container of a model folder (running or stopped). */
export interface ContainerItem {
  readonly kind: 'container';
  readonly folder: string;
  readonly container: ContainerEntry;
}

/** A model's untagged images (replaced by later builds, some still used by a container), folded. */
export interface OlderImagesItem {
  readonly kind: 'olderImages';
  readonly folder: string;
  readonly images: readonly ImageEntry[];
}

/** Shown first when the engine cannot be reached; clicking it retries. */
export interface DockerProblemItem {
  readonly kind: 'dockerProblem';
  readonly message: string;
}

export type ModelsTreeItem = ModelFolderItem | ImageItem | OlderImagesItem | ContainerItem | DockerProblemItem;

/**
 * The "Models" tree of the PyML activity-bar view: model folders of the workspace, each with its
 * containers (state, socket), its current images (tagged: tag, size, age) and, folded under
 * "N older images", the untagged ones earlier builds left (PyML: Remove Old Images prunes them). Docker's data is read when the container
 * manager is loaded (never during activation) and refreshed on the engine's events, not by polling.
 */
export class ModelsTree implements vscode.TreeDataProvider<ModelsTreeItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ModelsTreeItem | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(private readonly lazyManager: LazyContainerManager) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/pyml.yaml');
    this.disposables.push(
      watcher,
      watcher.onDidCreate(() => {
        this.refresh();
      }),
      watcher.onDidDelete(() => {
        this.refresh();
      }),
      lazyManager.onDidLoad((manager) => {
        this.disposables.push(
          manager.onDidChange(() => {
            this.refreshSoon();
          }),
        );
        this.refresh();
      }),
    );
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  async getChildren(element?: ModelsTreeItem): Promise<ModelsTreeItem[]> {
    const manager = this.lazyManager.peek();
    if (!element) {
      const manifests = await vscode.workspace.findFiles('**/pyml.yaml', '**/{node_modules,.git,.venv}/**');
      const models: ModelsTreeItem[] = manifests
        .sort((a, b) => a.fsPath.localeCompare(b.fsPath))
        .map((manifest) => ({ kind: 'model', manifest }));
      const problem = manager?.dockerProblem;
      return problem ? [{ kind: 'dockerProblem', message: problem.message }, ...models] : models;
    }
    if (element.kind === 'olderImages') return element.images.map((image): ImageItem => ({ kind: 'image', folder: element.folder, image }));
    if (element.kind !== 'model') return [];
    const folder = path.dirname(element.manifest.fsPath);
    const loaded = manager ?? (await this.lazyManager.get());
    // While Docker is known to be down, the problem item stands for it; Retry clears it.
    if (loaded.dockerProblem) return [];
    return this.dockerChildren(loaded, folder);
  }

  getTreeItem(element: ModelsTreeItem): vscode.TreeItem {
    switch (element.kind) {
      case 'model':
        return this.modelItem(element);
      case 'image':
        return imageItem(element);
      case 'olderImages':
        return olderImagesItem(element);
      case 'container':
        return containerItem(element);
      case 'dockerProblem': {
        const item = new vscode.TreeItem('Docker is not running', vscode.TreeItemCollapsibleState.None);
        item.description = 'click to retry';
        item.tooltip = element.message;
        item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
        item.command = { command: 'pyml.retryDocker', title: 'Retry' };
        item.contextValue = 'pyml.dockerProblem';
        return item;
      }
    }
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.changed.dispose();
  }

  private async dockerChildren(manager: ContainerManager, folder: string): Promise<ModelsTreeItem[]> {
    try {
      const [containers, images] = await Promise.all([manager.containersOf(folder), manager.imagesOf(folder)]);
      const { current, older } = splitImages(images);
      return [
        ...containers.map((container): ContainerItem => ({ kind: 'container', folder, container })),
        ...current.map((image): ImageItem => ({ kind: 'image', folder, image })),
        ...(older.length > 0 ? [{ kind: 'olderImages', folder, images: older } satisfies OlderImagesItem] : []),
      ];
    } catch {
      // Docker is not there: the problem item at the top says so (the manager fires a change).
      return [];
    }
  }

  private modelItem(element: ModelFolderItem): vscode.TreeItem {
    const folder = path.dirname(element.manifest.fsPath);
    const running = this.lazyManager.peek()?.model(folder);
    const item = new vscode.TreeItem(
      path.basename(folder),
      running ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
    );
    // A tree item keeps the expansion state of its first showing: a model that starts (or is found
    // running after a reload) gets another id, so it opens on its containers.
    item.id = running ? `model:${folder}:running` : `model:${folder}`;
    item.resourceUri = vscode.Uri.file(folder);
    const where = vscode.workspace.asRelativePath(folder, false);
    item.description = running ? `${statusText(running)} · ${where}` : where;
    item.contextValue = running && running.status !== 'exited' ? 'pyml.modelFolder.running' : 'pyml.modelFolder';
    item.iconPath = new vscode.ThemeIcon(running ? statusIcon(running) : 'symbol-class');
    item.tooltip = running?.detail ? `${element.manifest.fsPath}\n${running.detail}` : element.manifest.fsPath;
    item.command = { command: 'vscode.open', title: 'Open Manifest', arguments: [element.manifest] };
    return item;
  }

  /** Engine events come in bursts (die, stop, destroy): one refresh for a burst. */
  private refreshSoon(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refresh();
    }, 150);
  }
}

function containerItem(element: ContainerItem): vscode.TreeItem {
  const c = element.container;
  const running = c.state === 'running';
  const item = new vscode.TreeItem(`${running ? 'running' : c.state}${c.mode === 'dev' ? ' (dev mode)' : ''}`, vscode.TreeItemCollapsibleState.None);
  item.id = `container:${c.id}`;
  item.description = running ? (c.address ?? '') : c.status;
  item.tooltip = `${c.name}\n${c.status}${c.address ? `\n${c.address}` : ''}`;
  item.iconPath = new vscode.ThemeIcon(running ? 'vm-running' : 'vm-outline');
  item.contextValue = running ? 'pyml.container.running' : 'pyml.container.stopped';
  return item;
}

function imageItem(element: ImageItem): vscode.TreeItem {
  const i = element.image;
  const item = new vscode.TreeItem(i.tags[0] ?? i.id.slice(7, 19), vscode.TreeItemCollapsibleState.None);
  item.id = `image:${element.folder}:${i.id}`;
  item.description = `${formatSize(i.size)} · ${formatAge(i.created)}`;
  item.tooltip = `${i.tags.join(', ') || '(untagged: an earlier build)'}\n${i.id}\nbuilt ${i.created.toLocaleString()}`;
  item.iconPath = new vscode.ThemeIcon(i.tags.length > 0 ? 'package' : 'history');
  item.contextValue = i.tags.length > 0 ? 'pyml.image' : 'pyml.image.older';
  return item;
}

function olderImagesItem(element: OlderImagesItem): vscode.TreeItem {
  const n = element.images.length;
  const item = new vscode.TreeItem(`${n} older image${n === 1 ? '' : 's'}`, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `olderImages:${element.folder}`;
  item.description = 'from earlier builds';
  item.tooltip = `Images earlier builds of this model left, untagged (a container may still use one).\nPyML: Remove Old Images removes those no container uses.`;
  item.iconPath = new vscode.ThemeIcon('history');
  item.contextValue = 'pyml.olderImages';
  return item;
}

/** The images a model's tree shows: tagged ones (the current image, its debug image), and the older, untagged ones. */
export function splitImages(images: readonly ImageEntry[]): { current: ImageEntry[]; older: ImageEntry[] } {
  return { current: images.filter((i) => i.tags.length > 0), older: images.filter((i) => i.tags.length === 0) };
}

export function statusText(model: RunningModel): string {
  const mode = model.container.info.mode === 'dev' ? ' (dev)' : '';
  switch (model.status) {
    case 'starting':
      return `starting${mode}`;
    case 'ready':
      return `ready${mode}`;
    case 'reloading':
      return `reloading${mode}`;
    case 'reload-failed':
      return `reload failed${mode}`;
    case 'exited':
      return model.detail ?? 'exited';
  }
}

export function statusIcon(model: RunningModel): string {
  switch (model.status) {
    case 'starting':
    case 'reloading':
      return 'sync~spin';
    case 'ready':
      return 'vm-running';
    case 'reload-failed':
      return 'error';
    case 'exited':
      return 'debug-disconnect';
  }
}

export function formatSize(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 ** 2) return `${Math.round(bytes / 1024 ** 2)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} kB`;
}

export function formatAge(created: Date, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - created.getTime()) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}
