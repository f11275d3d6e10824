import * as path from 'path';
import * as vscode from 'vscode';

/** A model folder of the workspace: the folder that holds a `pyml.yaml`. */
export interface ModelFolderItem {
  readonly kind: 'model';
  readonly manifest: vscode.Uri;
}

export type ModelsTreeItem = ModelFolderItem;

/** The "Models" tree of the PyML activity-bar view: model folders of the workspace. */
export class ModelsTree implements vscode.TreeDataProvider<ModelsTreeItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ModelsTreeItem | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly watcher: vscode.FileSystemWatcher;

  constructor() {
    this.watcher = vscode.workspace.createFileSystemWatcher('**/pyml.yaml');
    this.watcher.onDidCreate(() => {
      this.refresh();
    });
    this.watcher.onDidDelete(() => {
      this.refresh();
    });
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  async getChildren(element?: ModelsTreeItem): Promise<ModelsTreeItem[]> {
    if (element) return [];
    const manifests = await vscode.workspace.findFiles('**/pyml.yaml', '**/{node_modules,.git,.venv}/**');
    return manifests
      .sort((a, b) => a.fsPath.localeCompare(b.fsPath))
      .map((manifest) => ({ kind: 'model', manifest }));
  }

  getTreeItem(element: ModelsTreeItem): vscode.TreeItem {
    const folder = vscode.Uri.file(path.dirname(element.manifest.fsPath));
    const item = new vscode.TreeItem(path.basename(folder.fsPath), vscode.TreeItemCollapsibleState.None);
    item.resourceUri = folder;
    item.description = vscode.workspace.asRelativePath(folder, false);
    item.contextValue = 'pyml.modelFolder';
    item.iconPath = new vscode.ThemeIcon('symbol-class');
    item.tooltip = element.manifest.fsPath;
    item.command = { command: 'vscode.open', title: 'Open Manifest', arguments: [element.manifest] };
    return item;
  }

  dispose(): void {
    this.watcher.dispose();
    this.changed.dispose();
  }
}
