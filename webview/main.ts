/**
 * The test-prediction panel's browser code: pick a target, edit a DataFrame or tensors (or load a
 * file), send, read the answer in a virtualised table with timings, or the model's traceback with
 * links to its files; a history to re-send, compare, save as samples and copy as grpcurl.
 *
 * Every message from the extension is checked (parseToWebview) before it is used; what fails the
 * check is reported back to the extension's log and ignored.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-divider/index.js';
import {
  parseToExtension,
  parseToWebview,
  webviewState,
  type Failure,
  type HistoryEntry,
  type ModelSchema,
  type Target,
  type ToExtension,
  type ToWebview,
  type WebviewState,
} from '../src/shared/panelMessages';
import { button, fill, formatBytes, formatMs, h, link } from './dom';
import { Grid } from './grid';
import { TensorEditors } from './tensorEditor';
import { VirtualTable } from './vtable';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();

function post(message: ToExtension): void {
  const checked = parseToExtension(message);
  if (!checked.ok) {
    console.error(`PyML panel: not sending a malformed message: ${checked.error}`);
    return;
  }
  vscode.postMessage(message);
}

function savedState(): WebviewState {
  const r = webviewState.check(vscode.getState() ?? {}, 'state');
  return r.ok ? r.value : {};
}

// ---------------------------------------------------------------------------------------------
// State

let targets: Target[] = [];
let schema: ModelSchema | undefined;
let loadedInput: { inputId: string; file: string } | undefined;
let pending: string | undefined;
let requestCounter = 0;
let history: HistoryEntry[] = [];
let resultColumns: readonly { name: string; shape: string }[] = [];
let shownHistoryId: string | undefined;
/** The address the panel is connected to (the dropdown shows its target). */
let connectedAddress: string | undefined;
/** Ranges of random values by input, and the sample they come from ('' when there is none). */
let ranges: Readonly<Record<string, { min?: number; max?: number; values?: string[] }>> = {};
let rangeSource = '';
const compareSelection: string[] = [];

// ---------------------------------------------------------------------------------------------
// Layout

const targetSelect = h('vscode-single-select', { 'data-testid': 'target-select', 'aria-label': 'Running model' }) as HTMLElement & { value: string };
const addressField = h('vscode-textfield', { placeholder: 'unix:///path/to/model.sock or host:port', 'data-testid': 'address', 'aria-label': 'Server address' }) as HTMLElement & { value: string };
const modelField = h('vscode-textfield', { placeholder: 'model (optional)', 'data-testid': 'model', 'aria-label': 'Model name', class: 'model-field' }) as HTMLElement & { value: string };
const connectionStatus = h('div', { class: 'connection', 'data-testid': 'connection' }, 'Not connected.');
const modelStateView = h('div', { class: 'model-state', 'data-testid': 'model-state', hidden: true });
const randomNote = h('div', { class: 'note', 'data-testid': 'random-note', hidden: true });
const targetNote = h('div', { class: 'note' });

const grid = new Grid(() => { updateSendState(); });
const tensors = new TensorEditors(() => { updateSendState(); });
const loadedView = h('div', { class: 'loaded', hidden: true });
const inputTable = new VirtualTable((tableId, start, count) => { post({ type: 'getRows', tableId, start, count }); }, 'input-table');
const rowsField = h('vscode-textfield', { value: '5', class: 'rows-field', 'aria-label': 'Rows for a random sample', 'data-testid': 'random-rows' }) as HTMLElement & { value: string };
const sendButton = button('Send', () => { send(); }, { 'data-testid': 'send', icon: 'play' });
const cancelButton = button('Cancel', () => {
  if (pending) post({ type: 'cancel', requestId: pending });
}, { secondary: true, hidden: true, 'data-testid': 'cancel' });
const busy = h('vscode-progress-ring', { hidden: true, class: 'busy' });
const inputProblems = h('div', { class: 'problems', 'data-testid': 'input-problems' });

const resultHeader = h('div', { class: 'result-header', 'data-testid': 'result-status' });
const resultTable = new VirtualTable((tableId, start, count) => { post({ type: 'getRows', tableId, start, count }); }, 'result-table', (tableId, row, column) => {
  post({ type: 'getCell', tableId, row, column });
});
const cellDetail = h('div', { class: 'cell-detail', 'data-testid': 'cell-detail', hidden: true });
const failureView = h('div', { class: 'failure', hidden: true, 'data-testid': 'failure' });
const sampleName = h('vscode-textfield', { placeholder: 'sample name', 'aria-label': 'Sample name', 'data-testid': 'sample-name' }) as HTMLElement & { value: string };
const resultActions = h(
  'div',
  { class: 'toolbar', hidden: true },
  sampleName,
  button('Save as sample', () => { saveSample(); }, { secondary: true, 'data-testid': 'save-sample' }),
  button('Copy as grpcurl', () => {
    if (shownHistoryId) post({ type: 'copyGrpcurl', historyId: shownHistoryId });
  }, { secondary: true, 'data-testid': 'copy-grpcurl' }),
);
const historyList = h('div', { class: 'history', 'data-testid': 'history' });
const comparisonView = h('div', { class: 'comparison', 'data-testid': 'comparison' });
const notices = h('div', { class: 'notices', role: 'status', 'aria-live': 'polite', 'data-testid': 'notices' });

const editors = h('div', { class: 'editors' }, grid.element, tensors.element);

const app = h(
  'main',
  { class: 'app' },
  h(
    'section',
    { class: 'target' },
    h('div', { class: 'toolbar' }, targetSelect, button('Refresh', () => { post({ type: 'refreshTargets' }); }, { secondary: true, 'data-testid': 'refresh' })),
    h('div', { class: 'toolbar' }, addressField, modelField, button('Connect', () => { connect(); }, { 'data-testid': 'connect' })),
    targetNote,
    connectionStatus,
    modelStateView,
  ),
  notices,
  h('vscode-divider'),
  h(
    'section',
    { class: 'input' },
    h(
      'div',
      { class: 'toolbar' },
      sendButton,
      cancelButton,
      busy,
      button('Add row', () => { grid.addRow(); }, { secondary: true, 'data-testid': 'add-row', class: 'df-only' }),
      button('Remove row', () => { grid.removeRow(); }, { secondary: true, 'data-testid': 'remove-row', class: 'df-only' }),
      button('Random sample', () => { randomSample(); }, { secondary: true, 'data-testid': 'random' }),
      rowsField,
      button('Load file…', () => { post({ type: 'loadFile' }); }, { secondary: true, 'data-testid': 'load-file' }),
    ),
    inputProblems,
    randomNote,
    loadedView,
    editors,
  ),
  h('vscode-divider'),
  h('section', { class: 'result' }, resultHeader, failureView, resultTable.element, cellDetail, resultActions),
  h('vscode-collapsible', { title: 'History', class: 'history-section', open: true }, historyList, comparisonView),
);

const root = document.getElementById('root');
root?.replaceChildren(app);
resultTable.element.hidden = true;

targetSelect.addEventListener('change', () => {
  const id = targetSelect.value;
  if (id) post({ type: 'connect', targetId: id });
});
addressField.addEventListener('keydown', (e) => {
  if ((e).key === 'Enter') connect();
});

window.addEventListener('message', (event: MessageEvent) => {
  const checked = parseToWebview(event.data);
  if (!checked.ok) {
    post({ type: 'log', level: 'warn', text: `the webview dropped a malformed message: ${checked.error}` });
    return;
  }
  try {
    receive(checked.value);
  } catch (err) {
    post({ type: 'log', level: 'error', text: `the webview failed on '${checked.value.type}': ${err instanceof Error ? (err.stack ?? err.message) : String(err)}` });
  }
});

window.addEventListener('error', (e) => { post({ type: 'log', level: 'error', text: `webview error: ${e.message}` }); });

const state = savedState();
if (state.address) addressField.value = state.address;
if (state.model) modelField.value = state.model;
post({ type: 'ready' });

// ---------------------------------------------------------------------------------------------
// Messages from the extension

function receive(m: ToWebview): void {
  switch (m.type) {
    case 'targets':
      targets = m.targets;
      renderTargets();
      selectConnectedTarget();
      targetNote.textContent = m.note ?? (targets.length === 0 ? 'No running model containers: run one (PyML: Run Model) or give an address.' : '');
      return;
    case 'connection':
      modelStateView.hidden = true;
      if (m.schema) {
        schema = m.schema;
        connectedAddress = m.address;
        selectConnectedTarget();
        clearErrors();
        addressField.value = m.address;
        vscode.setState({ address: m.address, model: m.schema.model } satisfies WebviewState);
        fill(
          connectionStatus,
          h('vscode-badge', { variant: 'counter' }, m.schema.kind),
          ' ',
          h('strong', {}, m.schema.model),
          m.schema.version ? ` ${m.schema.version}` : '',
          ` · ${m.address} · ${m.server}`,
          h('div', { class: 'note' }, `inputs: ${m.schema.inputs.map((f) => `${f.name} (${f.text ? 'string' : f.datatype})`).join(', ')}`),
        );
        connectionStatus.classList.remove('error');
        applySchema();
      } else {
        schema = undefined;
        connectedAddress = undefined;
        selectConnectedTarget();
        fill(connectionStatus, m.error ?? `Not connected to ${m.address}.`, m.action === 'runModel' ? ' ' : null, m.action === 'runModel' ? runModelButton() : null);
        connectionStatus.classList.toggle('error', m.error !== undefined);
        applySchema();
      }
      return;
    case 'modelState':
      showModelState(m.state, m.text);
      return;
    case 'ranges':
      ranges = m.inputs;
      rangeSource = m.source;
      return;
    case 'cellDetail':
      if (m.tableId !== resultTable.tableId) return;
      fill(
        cellDetail,
        h('div', { class: 'toolbar' }, h('strong', {}, `row ${m.row + 1}, ${resultColumns[m.column]?.name ?? ''}`), h('span', { class: 'vt-type' }, resultColumns[m.column]?.shape ?? ''), button('Close', () => { cellDetail.hidden = true; }, { secondary: true })),
        h('pre', { class: 'cell-text' }, m.text ?? 'null'),
      );
      cellDetail.hidden = false;
      return;
    case 'loaded':
      clearErrors();
      randomNote.hidden = true;
      loadedInput = { inputId: m.inputId, file: m.file };
      fill(
        loadedView,
        h('div', { class: 'toolbar' }, h('strong', {}, `Loaded ${basename(m.file)}`), button('Edit in grid', () => { post({ type: 'editLoaded', inputId: m.inputId }); }, { secondary: true, 'data-testid': 'edit-loaded' }), button('Clear', () => { clearLoaded(); }, { secondary: true, 'data-testid': 'clear-loaded' })),
        ...m.warnings.map((w) => h('div', { class: 'note warn' }, w)),
        inputTable.element,
      );
      loadedView.hidden = false;
      editors.hidden = true;
      inputTable.show(m.table);
      updateSendState();
      return;
    case 'gridData':
      clearLoaded();
      grid.setColumns(m.columns);
      return;
    case 'sending':
      pending = m.requestId;
      busy.hidden = false;
      cancelButton.hidden = false;
      updateSendState();
      resultHeader.textContent = 'Waiting for the answer…';
      return;
    case 'result':
      if (m.requestId === pending) done();
      shownHistoryId = m.historyId;
      clearErrors();
      failureView.hidden = true;
      cellDetail.hidden = true;
      resultColumns = m.table.columns;
      resultTable.element.hidden = false;
      resultActions.hidden = false;
      resultTable.show(m.table);
      fill(
        resultHeader,
        h('span', { class: 'ok' }, 'OK'),
        ` · encode ${formatMs(m.timings.encodeMs)} · round trip ${formatMs(m.timings.roundTripMs)}`,
        m.timings.serverMs === undefined ? ' · server n/a' : ` · server ${formatMs(m.timings.serverMs)}`,
        ` · decode ${formatMs(m.timings.decodeMs)} · sent ${formatBytes(m.sizes.requestBytes)} · received ${formatBytes(m.sizes.responseBytes)}`,
      );
      resultHeader.dataset['state'] = 'ok';
      return;
    case 'failed':
      if (m.requestId === pending) done();
      shownHistoryId = m.historyId;
      showFailure(m.failure);
      return;
    case 'rows':
      if (m.tableId === resultTable.tableId) resultTable.receive(m.tableId, m.start, m.rows);
      if (m.tableId === inputTable.tableId) inputTable.receive(m.tableId, m.start, m.rows);
      return;
    case 'history':
      history = m.entries;
      renderHistory();
      return;
    case 'comparison':
      renderComparison(m.comparison);
      return;
    case 'notice':
      notice(m.level, m.text);
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// Actions

function connect(): void {
  const address = addressField.value.trim();
  if (!address) {
    notice('warn', 'Give an address: unix:///path/to/socket or host:port.');
    return;
  }
  const model = modelField.value.trim();
  post({ type: 'connect', address, ...(model ? { model } : {}) });
}

function send(): void {
  if (!schema || pending) return;
  const requestId = `q${++requestCounter}`;
  if (loadedInput) post({ type: 'send', requestId, input: { source: 'loaded', inputId: loadedInput.inputId } });
  else if (schema.kind === 'dataframe') post({ type: 'send', requestId, input: { source: 'grid', columns: grid.columns() } });
  else post({ type: 'send', requestId, input: { source: 'tensors', tensors: tensors.tensors() } });
}

function randomSample(): void {
  if (!schema) return;
  const rows = Math.max(1, Math.min(100_000, Number.parseInt(rowsField.value, 10) || 5));
  clearLoaded();
  if (schema.kind === 'dataframe') grid.random(rows, ranges);
  else tensors.random(rows, ranges);
  const covered = schema.inputs.filter((f) => ranges[f.name]).length;
  randomNote.textContent = rangeSource && covered > 0
    ? `Random values, drawn within the ranges of ${rangeSource}: check them before trusting the answer.`
    : 'Random values (no sample of this model to take ranges from: 0 to 1 for floats, 0 to 9 for integers): check them before trusting the answer.';
  randomNote.hidden = false;
}

function runModelButton(): HTMLElement {
  return button('Run Model', () => { post({ type: 'runModel' }); }, { 'data-testid': 'run-model' });
}

/** The connected model's container: running, starting, reloading, reloaded, a failed reload, stopped. */
function showModelState(state: string, text: string): void {
  modelStateView.dataset['state'] = state;
  fill(modelStateView, h('span', { class: `state-dot ${state}` }), ' ', text, state === 'stopped' ? ' ' : null, state === 'stopped' ? runModelButton() : null);
  modelStateView.hidden = false;
  connectionStatus.classList.toggle('stale', state === 'stopped');
}

/** Something worked: the error notices from before no longer apply. */
function clearErrors(): void {
  notices.querySelectorAll('.notice.error, .notice.warn').forEach((n) => { n.remove(); });
}

/** Shows the connected target in the dropdown (also after a window reload), or the placeholder. */
function selectConnectedTarget(): void {
  const match = targets.find((t) => t.address === connectedAddress);
  targetSelect.value = match?.id ?? '';
}

function saveSample(): void {
  const name = sampleName.value.trim();
  if (!shownHistoryId) return;
  if (!/^[A-Za-z0-9][A-Za-z0-9 _.-]*$/.test(name)) {
    notice('warn', 'Name the sample with letters, digits, spaces, "_", "." or "-".');
    return;
  }
  post({ type: 'saveSample', historyId: shownHistoryId, name });
}

function clearLoaded(): void {
  loadedInput = undefined;
  loadedView.hidden = true;
  inputTable.clear();
  editors.hidden = false;
  updateSendState();
}

function done(): void {
  pending = undefined;
  busy.hidden = true;
  cancelButton.hidden = true;
  updateSendState();
}

// ---------------------------------------------------------------------------------------------
// Rendering

function renderTargets(): void {
  // The select reads its new options (and which is selected) only after they are in the DOM, so setting
  // its value right after replacing them is lost: the connected target's option says it is selected.
  const connected = targets.find((t) => t.address === connectedAddress)?.id;
  const options = [h('vscode-option', { value: '' }, targets.length ? 'Pick a running model…' : 'No running models')];
  for (const t of targets) options.push(h('vscode-option', { value: t.id, description: t.detail, selected: t.id === connected }, t.label));
  targetSelect.replaceChildren(...options);
}

function applySchema(): void {
  const s = schema;
  const dataframe = s?.kind === 'dataframe';
  document.body.classList.toggle('tensor-model', s?.kind === 'tensor');
  grid.element.hidden = !dataframe;
  tensors.element.hidden = s?.kind !== 'tensor';
  if (s && dataframe) grid.setSchema(s.inputs);
  if (s && !dataframe) tensors.setSchema(s.inputs);
  updateSendState();
}

function updateSendState(): void {
  let problem = '';
  if (!schema) problem = 'Connect to a model to send.';
  else if (!loadedInput && schema.kind === 'dataframe') {
    const bad = grid.invalidCells();
    if (bad > 0) problem = `${bad} cell${bad === 1 ? ' does' : 's do'} not fit the column type (hover a red cell to see why).`;
  } else if (!loadedInput && !tensors.valid) problem = 'A tensor does not fit its declared type or shape.';
  inputProblems.textContent = problem;
  const disabled = problem !== '' || pending !== undefined;
  if (disabled) sendButton.setAttribute('disabled', '');
  else sendButton.removeAttribute('disabled');
}

function showFailure(f: Failure): void {
  resultTable.element.hidden = true;
  resultTable.clear();
  resultActions.hidden = true;
  failureView.hidden = false;
  resultHeader.dataset['state'] = 'error';
  cellDetail.hidden = true;
  const what = f.status === 'LOCAL' ? 'not sent' : f.action === 'runModel' ? 'the model is not running' : f.error ? 'the model raised an exception' : 'the server answered with an error';
  fill(resultHeader, h('span', { class: 'err' }, f.status), ` · ${what}`);
  const e = f.error;
  // The exception line below says what the message says: show the message only when it adds to it.
  const repeats = e !== undefined && f.message.includes(e.message) && f.message.length <= e.type.length + e.message.length + 200;
  const parts: HTMLElement[] = repeats ? [] : [h('pre', { class: 'failure-message', 'data-testid': 'failure-message' }, f.message)];
  if (f.action === 'runModel') parts.push(h('div', { class: 'toolbar' }, runModelButton()));
  if (e) {
    parts.push(h('div', { class: 'exception' }, h('strong', {}, e.type), e.message ? `: ${e.message}` : '', e.phase ? ` (in ${e.phase})` : ''));
    const frames = h('ol', { class: 'frames', 'data-testid': 'frames' });
    for (const fr of e.frames) {
      const where = `${fr.file}, line ${fr.line}, in ${fr.function}`;
      const label = fr.linked
        ? link(where, () => {
            post({ type: 'openFrame', file: fr.file, line: fr.line });
          }, { class: 'frame-link', 'data-file': fr.file, 'data-line': fr.line })
        : h('span', { class: 'frame-text' }, where);
      frames.appendChild(h('li', { class: fr.inModel ? 'frame in-model' : 'frame' }, label, fr.code ? h('code', {}, fr.code) : null));
    }
    parts.push(frames);
    parts.push(h('vscode-collapsible', { title: 'Python traceback' }, h('pre', { class: 'traceback' }, e.traceback)));
  }
  failureView.replaceChildren(...parts);
}

function renderHistory(): void {
  if (history.length === 0) {
    historyList.textContent = 'No requests yet.';
    return;
  }
  const rows = history.map((e) => {
    const check = h('input', { type: 'checkbox', 'aria-label': 'compare', checked: compareSelection.includes(e.historyId) });
    check.addEventListener('change', () => {
      const at = compareSelection.indexOf(e.historyId);
      if (check.checked && at < 0) compareSelection.push(e.historyId);
      if (!check.checked && at >= 0) compareSelection.splice(at, 1);
      while (compareSelection.length > 2) compareSelection.shift();
      renderHistory();
    });
    return h(
      'tr',
      { 'data-history': e.historyId },
      h('td', {}, check),
      h('td', {}, new Date(e.at).toLocaleTimeString()),
      h('td', {}, e.model),
      h('td', {}, e.summary),
      h('td', { class: e.ok ? 'ok' : 'err' }, e.status),
      h('td', { class: 'num' }, formatMs(e.roundTripMs)),
      h('td', {}, e.kept ? '' : 'dropped'),
      h(
        'td',
        {},
        link('show', () => {
          post({ type: 'showHistoryEntry', historyId: e.historyId });
        }),
        ' ',
        e.kept
          ? link('resend', () => {
              post({ type: 'resend', historyId: e.historyId });
            })
          : null,
      ),
    );
  });
  const compare = button('Compare selected', () => {
    const [a, b] = compareSelection;
    if (a && b) post({ type: 'compare', a, b });
  }, { secondary: true, disabled: compareSelection.length !== 2, 'data-testid': 'compare' });
  historyList.replaceChildren(
    h('table', { class: 'history-table' }, h('thead', {}, h('tr', {}, ...['', 'time', 'model', 'input', 'status', 'round trip', '', ''].map((t) => h('th', {}, t)))), h('tbody', {}, ...rows)),
    h('div', { class: 'toolbar' }, compare),
  );
}

function renderComparison(c: Extract<ToWebview, { type: 'comparison' }>['comparison']): void {
  const same = c.columns.every((x) => x.verdict === 'same');
  comparisonView.replaceChildren(
    h('div', { class: same ? 'ok' : 'err' }, same ? 'The two answers are the same.' : 'The two answers differ:'),
    h(
      'table',
      { class: 'history-table' },
      h('thead', {}, h('tr', {}, ...['column', 'verdict', 'rows differing', 'max |a-b|', 'first row'].map((t) => h('th', {}, t)))),
      h('tbody', {}, ...c.columns.map((x) => h('tr', {}, h('td', {}, x.name), h('td', { class: x.verdict === 'same' ? 'ok' : 'err' }, x.verdict), h('td', { class: 'num' }, String(x.differing)), h('td', { class: 'num' }, x.maxAbsDiff === null ? '' : x.maxAbsDiff.toPrecision(4)), h('td', { class: 'num' }, x.firstRow === null ? '' : String(x.firstRow))))),
    ),
  );
}

function notice(level: 'info' | 'warn' | 'error', text: string): void {
  // The same message twice is said once (the newest stays).
  notices.querySelectorAll('.notice').forEach((n) => {
    if (n.textContent === text) n.remove();
  });
  const el = h('div', { class: `notice ${level}` }, text);
  notices.prepend(el);
  while (notices.childElementCount > 4) notices.lastElementChild?.remove();
  setTimeout(() => { el.remove(); }, level === 'error' ? 30_000 : 10_000);
}

function basename(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}
