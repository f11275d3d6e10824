/** What activate() registers for the table preview, kept light: the panel's module loads on first use. */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { TABLE_PREVIEW_VIEW_TYPE } from './previewIds';


/** Revives table previews after a window reload. */
export function registerBatchUi(ctx: Ctx): void {
  ctx.own(
    vscode.window.registerWebviewPanelSerializer(TABLE_PREVIEW_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
        const { TablePreview } = await import('./previewPanel');
        TablePreview.revive(ctx, panel, state);
      },
    }),
  );
}
