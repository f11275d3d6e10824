/** The webview type of the table preview (package.json activates on it: onWebviewPanel:pyml.tablePreview). */
export const TABLE_PREVIEW_VIEW_TYPE = 'pyml.tablePreview';
