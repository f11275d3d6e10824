/**
 * What activate() registers for the panel, kept light: the panel, Arrow and
 * gRPC load on first use (dynamic imports), so activation stays within its budget.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { PANEL_VIEW_TYPE } from './panelIds';


/** The `pyml.openPanel` command: an optional address string or {address, model}. */
export async function openPanelCommand(ctx: Ctx, ...args: unknown[]): Promise<void> {
  const { openPanel } = await import('./panel');
  await openPanel(ctx, args[0]);
}

/** Revives the panel after a window reload. */
export function registerPredict(ctx: Ctx): void {
  ctx.own(
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
        const { PredictPanel } = await import('./panel');
        PredictPanel.revive(ctx, panel, state);
      },
    }),
  );
}
