/**
 * The table preview: the first rows of a CSV / Parquet / Arrow / JSON lines file in a webview, so a
 * batch output (or any table file) can be looked at without another tool. One panel per file,
 * revealed when it is open already, revived after a window reload by its serializer. The webview
 * loads dist/preview.js under a CSP of `default-src 'none'` with a fresh nonce per load, may read
 * only dist/ and media/, and every message either way is checked (src/shared/previewMessages.ts).
 */
import { randomBytes } from 'crypto';
import * as path from 'path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { parsePreviewToExtension, previewState, type PreviewToWebview } from '../shared/previewMessages';
import { errorText } from '../userError';
import { readPreview } from './previewData';
import { TABLE_PREVIEW_VIEW_TYPE } from './previewIds';


export interface PreviewArgs {
  /** Rows in the whole file, when the caller counted them. */
  readonly knownRows?: number;
}

export class TablePreview implements vscode.Disposable {
  private static readonly open = new Map<string, TablePreview>();
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;
  private loads = 0;

  /** Shows the preview of `file` (creating it, or revealing and reloading the one open). */
  static createOrShow(ctx: Ctx, file: string, args: PreviewArgs = {}): TablePreview {
    const existing = TablePreview.open.get(file);
    if (existing) {
      existing.panel.reveal();
      void existing.load();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(TABLE_PREVIEW_VIEW_TYPE, title(file), vscode.ViewColumn.Active, webviewOptions(ctx));
    return new TablePreview(ctx, panel, file, args);
  }

  /** After a window reload: the file the panel showed, read again. */
  static revive(ctx: Ctx, panel: vscode.WebviewPanel, state: unknown): void {
    const checked = previewState.check(state ?? {}, 'state');
    if (!checked.ok) {
      panel.dispose();
      return;
    }
    panel.webview.options = webviewOptions(ctx);
    const { file, knownRows } = checked.value;
    new TablePreview(ctx, panel, file, knownRows !== undefined ? { knownRows } : {});
  }

  /** The open preview of a file (tests, commands). */
  static of(file: string): TablePreview | undefined {
    return TablePreview.open.get(file);
  }

  private constructor(
    private readonly ctx: Ctx,
    private readonly panel: vscode.WebviewPanel,
    readonly file: string,
    private args: PreviewArgs,
  ) {
    TablePreview.open.get(file)?.dispose();
    TablePreview.open.set(file, this);
    panel.title = title(file);
    panel.iconPath = vscode.Uri.file(ctx.asAbsolutePath(path.join('media', 'pyml.svg')));
    panel.webview.html = html(panel.webview, ctx, nonce(), { file, ...(args.knownRows !== undefined ? { knownRows: args.knownRows } : {}) });
    this.disposables.push(
      panel.onDidDispose(() => {
        this.dispose();
      }),
      panel.webview.onDidReceiveMessage((raw: unknown) => {
        void this.receive(raw);
      }),
    );
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (TablePreview.open.get(this.file) === this) TablePreview.open.delete(this.file);
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  /** Reads the file and sends its first rows; a file that cannot be read says why, in the preview. */
  async load(args?: PreviewArgs): Promise<void> {
    if (args) this.args = args;
    const load = ++this.loads;
    this.post({ type: 'loading', file: this.file });
    try {
      const table = await readPreview(this.file, this.args.knownRows !== undefined ? { knownRows: this.args.knownRows } : {});
      if (load === this.loads) this.post({ type: 'table', table, canOpen: isText(this.file) });
    } catch (err) {
      this.ctx.log.warn(`Preview of ${this.file}: ${errorText(err)}`);
      if (load === this.loads) this.post({ type: 'error', file: this.file, message: errorText(err) });
    }
  }

  private async receive(raw: unknown): Promise<void> {
    const parsed = parsePreviewToExtension(raw);
    if (!parsed.ok) {
      this.ctx.log.warn(`Table preview: dropped a message from the webview: ${parsed.error}`);
      return;
    }
    try {
      switch (parsed.value.type) {
        case 'ready':
        case 'refresh':
          // A refresh reads the file as it is now: a count from the run that wrote it may be stale.
          if (parsed.value.type === 'refresh') this.args = {};
          await this.load();
          return;
        case 'open':
          await vscode.window.showTextDocument(vscode.Uri.file(this.file), { preview: false });
          return;
      }
    } catch (err) {
      void this.ctx.log.explain(err, { summary: `the preview of ${path.basename(this.file)} could not do that` });
    }
  }

  private post(message: PreviewToWebview): void {
    if (!this.disposed) void this.panel.webview.postMessage(message);
  }
}

function title(file: string): string {
  return `Preview: ${path.basename(file)}`;
}

function isText(file: string): boolean {
  return /\.(csv|tsv|txt|jsonl|ndjson|json)$/i.test(file);
}

function webviewOptions(ctx: Ctx): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    retainContextWhenHidden: false,
    localResourceRoots: [vscode.Uri.file(ctx.asAbsolutePath('dist')), vscode.Uri.file(ctx.asAbsolutePath('media'))],
  };
}

function nonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

function html(webview: vscode.Webview, ctx: Ctx, n: string, state: { file: string; knownRows?: number }): string {
  const script = webview.asWebviewUri(vscode.Uri.file(ctx.asAbsolutePath(path.join('dist', 'preview.js'))));
  const css = webview.asWebviewUri(vscode.Uri.file(ctx.asAbsolutePath(path.join('media', 'preview', 'preview.css'))));
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${n}'`,
    `style-src ${webview.cspSource} 'nonce-${n}'`,
    `font-src ${webview.cspSource}`,
  ].join('; ');
  const attr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${css.toString()}" nonce="${n}">
<title>${attr(title(state.file))}</title>
</head>
<body>
<div id="root" data-state="${attr(JSON.stringify(state))}"></div>
<script nonce="${n}" src="${script.toString()}"></script>
</body>
</html>`;
}
