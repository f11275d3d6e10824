/**
 * The status bar item of the active model: the model of the active editor's folder when it runs,
 * else the only running model. Shows ready / reloading / reload failed / exited; a click shows logs.
 */
import * as vscode from 'vscode';
import { enclosingModelFolder } from '../commands/modelFolder';
import type { LazyContainerManager } from '../container/lazyManager';
import type { ContainerManager } from '../container/manager';
import { statusIcon, statusText } from './modelsTree';

export class ModelStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('pyml.model', vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: { dispose(): unknown }[] = [];
  private activeFolder: string | undefined;
  private manager: ContainerManager | undefined;

  constructor(lazyManager: LazyContainerManager) {
    this.item.name = 'PyML Model';
    this.disposables.push(
      this.item,
      vscode.window.onDidChangeActiveTextEditor(() => {
        void this.followEditor();
      }),
      lazyManager.onDidLoad((manager) => {
        this.manager = manager;
        this.disposables.push(
          manager.onDidChange(() => {
            this.update();
          }),
        );
        void this.followEditor();
      }),
    );
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private async followEditor(): Promise<void> {
    const uri = vscode.window.activeTextEditor?.document.uri;
    this.activeFolder = uri?.scheme === 'file' ? await enclosingModelFolder(uri.fsPath) : undefined;
    this.update();
  }

  private update(): void {
    const models = this.manager?.models() ?? [];
    const model = (this.activeFolder ? this.manager?.model(this.activeFolder) : undefined) ?? (models.length === 1 ? models[0] : undefined);
    if (!model) {
      this.item.hide();
      return;
    }
    const name = model.container.info.modelName;
    this.item.text = `$(${statusIcon(model)}) ${name}: ${statusText(model)}`;
    this.item.tooltip = new vscode.MarkdownString(
      [`**${name}** — ${statusText(model)}`, model.detail ?? '', `\`${model.container.info.address}\``, 'Click to show the logs.'].filter(Boolean).join('\n\n'),
    );
    this.item.backgroundColor =
      model.status === 'reload-failed' || model.status === 'exited' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.item.command = { command: 'pyml.showModelLogs', title: 'Show Logs', arguments: [{ folder: model.folder }] };
    this.item.show();
  }
}
