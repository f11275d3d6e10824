/**
 * Messages between the table preview's webview (webview/preview.ts) and the extension
 * (src/batchUi/previewPanel.ts), declared once with the validator kit of the panel's messages. Both
 * sides check every message they receive and drop, and log, what does not pass.
 *
 * Plain TypeScript with no imports but the kit: compiled into both the extension and the webview.
 */
import { arr, bool, messages, nullable, num, obj, opt, str, type Infer, type Result } from './panelMessages';

/** Rows a preview carries at most (the extension reads fewer: PREVIEW_ROWS). */
export const MAX_PREVIEW_ROWS = 5000;

export const previewColumn = obj({ name: str({ max: 1000 }), type: str({ max: 200 }) });
export type PreviewColumn = Infer<typeof previewColumn>;

export const previewTable = obj({
  file: str({ max: 4096, min: 1 }),
  columns: arr(previewColumn, { max: 10_000 }),
  rows: arr(arr(nullable(str({ max: 100_000 })), { max: 10_000 }), { max: MAX_PREVIEW_ROWS }),
  /** Rows in the whole file, when known. */
  totalRows: opt(num({ int: true, min: 0 })),
  /** The file has rows after the ones shown. */
  more: bool,
  bytes: num({ int: true, min: 0 }),
});
export type PreviewTable = Infer<typeof previewTable>;

const toWebview = messages({
  table: { table: previewTable, canOpen: bool },
  loading: { file: str({ max: 4096, min: 1 }) },
  error: { file: str({ max: 4096 }), message: str({ max: 20_000 }) },
});
export type PreviewToWebview = Infer<typeof toWebview>;

const toExtension = messages({
  /** The page has loaded and listens. */
  ready: {},
  /** Open the file in a text editor. */
  open: {},
  /** Read the file again. */
  refresh: {},
});
export type PreviewToExtension = Infer<typeof toExtension>;

export function parsePreviewToWebview(value: unknown): Result<PreviewToWebview> {
  return toWebview.check(value, '');
}

export function parsePreviewToExtension(value: unknown): Result<PreviewToExtension> {
  return toExtension.check(value, '');
}

/** What the webview keeps across a window reload (the serializer reopens the file). */
export const previewState = obj({ file: str({ max: 4096, min: 1 }), knownRows: opt(num({ int: true, min: 0 })) });
export type PreviewState = Infer<typeof previewState>;
