/**
 * The table preview's page: a header (the file, its rows and size), buttons (Open as Text for text
 * files, Refresh) and the first rows as a plain table with sticky headers, numbered from 1 like the
 * rows of a spreadsheet. Every message from the extension is checked before it is shown.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import { parsePreviewToWebview, previewState, type PreviewTable, type PreviewToExtension } from '../src/shared/previewMessages';
import { button, fill, formatBytes, h } from './dom';

interface VsCodeApi {
  postMessage(message: unknown): void;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById('root') ?? document.body;

// The file this page previews, kept for the serializer (a window reload reopens it).
const initial = previewState.check(JSON.parse(root.dataset['state'] ?? '{}') as unknown, 'state');
if (initial.ok) vscode.setState(initial.value);

const title = h('h2', { class: 'title', 'data-testid': 'preview-title' });
const summary = h('div', { class: 'summary', 'data-testid': 'preview-summary' });
const status = h('div', { class: 'status', 'data-testid': 'preview-status', role: 'status' });
const openButton = button('Open as Text', () => { post({ type: 'open' }); }, { 'data-testid': 'preview-open', secondary: true });
const refreshButton = button('Refresh', () => { post({ type: 'refresh' }); }, { 'data-testid': 'preview-refresh', secondary: true });
const toolbar = h('div', { class: 'toolbar' }, openButton, refreshButton);
const tableWrap = h('div', { class: 'table-wrap', 'data-testid': 'preview-table' });
fill(root, h('header', {}, title, summary, toolbar), status, tableWrap);
openButton.hidden = true;

function post(message: PreviewToExtension): void {
  vscode.postMessage(message);
}

function fileName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}

function rowsText(n: number): string {
  return `${n.toLocaleString('en-US')} row${n === 1 ? '' : 's'}`;
}

function describe(t: PreviewTable): string {
  const columns = `${t.columns.length.toLocaleString('en-US')} column${t.columns.length === 1 ? '' : 's'}`;
  const size = formatBytes(t.bytes);
  if (t.rows.length === 0) return `No rows · ${columns} · ${size}`;
  if (!t.more) return `${rowsText(t.rows.length)} · ${columns} · ${size}`;
  const total = t.totalRows !== undefined ? ` of ${rowsText(t.totalRows)}` : '';
  return `First ${rowsText(t.rows.length)}${total} · ${columns} · ${size}`;
}

function show(t: PreviewTable, canOpen: boolean): void {
  title.textContent = fileName(t.file);
  title.title = t.file;
  summary.textContent = describe(t);
  openButton.hidden = !canOpen;
  status.textContent = '';
  status.className = 'status';
  const head = h('tr', {}, h('th', { class: 'index' }, '#'), ...t.columns.map((c) => h('th', { title: c.type ? `${c.name}: ${c.type}` : c.name }, h('span', { class: 'name' }, c.name), c.type ? h('span', { class: 'type' }, c.type) : null)));
  const body = t.rows.map((row, i) =>
    h('tr', { 'data-row': i + 1 }, h('td', { class: 'index' }, String(i + 1)), ...row.map((v) => (v === null ? h('td', { class: 'null' }, 'null') : h('td', { title: v.length > 60 ? v : undefined }, v)))),
  );
  const more = t.more ? h('p', { class: 'note', 'data-testid': 'preview-more' }, `Showing the first ${rowsText(t.rows.length)}.`) : null;
  fill(tableWrap, h('table', { class: 'preview' }, h('thead', {}, head), h('tbody', {}, ...body)), more);
}

window.addEventListener('message', (event: MessageEvent) => {
  const checked = parsePreviewToWebview(event.data);
  if (!checked.ok) {
    console.warn(`the preview dropped a malformed message: ${checked.error}`);
    return;
  }
  const m = checked.value;
  switch (m.type) {
    case 'loading':
      title.textContent = fileName(m.file);
      fill(status, h('vscode-progress-ring', { class: 'busy' }), ' Reading…');
      status.className = 'status';
      return;
    case 'table':
      show(m.table, m.canOpen);
      return;
    case 'error':
      title.textContent = fileName(m.file);
      summary.textContent = '';
      status.textContent = m.message;
      status.className = 'status error';
      fill(tableWrap);
      return;
  }
});

post({ type: 'ready' });
