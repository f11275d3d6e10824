/**
 * The panel's logic, free of VS Code: it receives the webview's messages (validated here; malformed
 * ones are logged and dropped), talks to the V2 server, holds the Arrow tables and the history, and
 * posts messages back. The panel class (panel.ts) gives it a `PanelHost` for what needs the editor.
 */
import type { CallOptions } from '../protocol/v2client';
import { V2Client, V2Error } from '../protocol/v2client';
import { explainError } from '../userError';
import { CodecError, type AnyTable, type DecodedTensor } from '../protocol/arrowCodec';
import {
  parseToExtension,
  type Failure,
  type HistoryEntry,
  type InputPayload,
  type ModelSchema,
  type ModelState,
  type ToExtension,
  type ToWebview,
} from '../shared/panelMessages';
import { compareTables } from './compare';
import * as path from 'path';
import { cellText, rowWindow, tableInfo } from './format';
import { sampleRanges } from './ranges';
import { mapFrames } from './frames';
import { grpcurlCommand, LARGE_GRPCURL_BYTES } from './grpcurl';
import { encodeInput, runInference, type InferOutcome } from './infer';
import { InputError } from '../tables/errors';
import { conformTable, conformTensors, gridToTable, tableToTensors, tensorsFromText, describePrepared, type PreparedInput } from './inputs';
import { loadInputFile, tensorPreview, type LoadedFile } from './files';
import { readSample, sampleJson } from './samples';
import { schemaFromMetadata } from './panelSchema';
import { addressTarget, type TargetEntry, type TargetList } from './targets';

export interface PanelLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** What the session needs from the editor. */
export interface PanelHost {
  post(message: ToWebview): void;
  readonly log: PanelLog;
  listTargets(): Promise<TargetList>;
  /** Asks for an input file; undefined when cancelled. */
  pickInputFile(): Promise<string | undefined>;
  openFile(file: string, line: number): Promise<void>;
  copy(text: string): Promise<void>;
  /** The host folder of a model (a container's label, else a workspace folder whose pyml.yaml names it). */
  modelFolder(model: string, target: TargetEntry | undefined): Promise<string | undefined>;
  writeSample(folder: string, name: string, json: string): Promise<string>;
  /** Settings for calls to `address` (a model held by a debugger gets no deadline to speak of). */
  settings(address?: string): { readonly protoPath: string; readonly maxMessageBytes: number; readonly timeoutMs: number };
  /** Told when a sample file was written. */
  onSampleSaved?(file: string): void;
  /** Told when a connection succeeded (to remember recent addresses). */
  onConnected?(address: string, model: string): void;
  /** The sample to show first for a model folder (samples/example.json, else its first sample), if any. */
  modelSample?(folder: string): Promise<string | undefined>;
  /** Starts the model of a folder (PyML: Run Model); `folder` undefined lets the command ask. */
  runModel?(folder: string | undefined): Promise<void>;
}

interface HistoryRecord {
  entry: HistoryEntry;
  input: PreparedInput | undefined;
  outputs: readonly DecodedTensor[] | undefined;
  tableId: string | undefined;
  outcome: InferOutcome | undefined;
  failure: Failure | undefined;
  readonly target: TargetEntry;
  readonly schema: ModelSchema;
  readonly requestId: string;
}

interface LoadedInput {
  readonly file: string;
  readonly loaded: LoadedFile;
  prepared: PreparedInput | undefined;
}

/** History entries kept; older ones are dropped with their tables. */
const HISTORY_LIMIT = 50;
/** Entries whose request and answer tables are kept for re-sending, comparing and saving. */
const HISTORY_DATA_LIMIT = 8;
/** Largest loaded input turned into grid cells for editing. */
const MAX_EDIT_CELLS = 200_000;
/**
 * What the panel shows that the session posts once and does not post again on 'ready': posted before
 * the webview's script listens (the panel connects as it opens), they are replayed when it says ready.
 */
const REPLAYED_ON_READY: ReadonlySet<ToWebview['type']> = new Set(['ranges', 'loaded']);

export class PanelSession {
  private client: V2Client | undefined;
  private target: TargetEntry | undefined;
  private schema: ModelSchema | undefined;
  private serverName = '';
  private targets: TargetEntry[] = [];
  private readonly tables = new Map<string, AnyTable>();
  private readonly loaded = new Map<string, LoadedInput>();
  private readonly history: HistoryRecord[] = [];
  private readonly inFlight = new Map<string, AbortController>();
  private links: ReadonlyMap<string, string> = new Map();
  /** The models whose sample was loaded on connecting (once per model and session). */
  private readonly sampled = new Set<string>();
  private state: ModelState | undefined;
  private nextId = 1;
  private disposed = false;
  /** Whether the webview has said 'ready' (its script listens); until then, what to replay. */
  private webviewReady = false;
  private readonly beforeReady: ToWebview[] = [];
  /** The connection being made: connections are made one at a time (the panel and a model event may both connect). */
  private connecting: Promise<void> = Promise.resolve();

  constructor(private readonly host: PanelHost) {}

  /** Validates and handles one message from the webview; never throws. */
  async receive(raw: unknown): Promise<void> {
    const parsed = parseToExtension(raw);
    if (!parsed.ok) {
      this.host.log.warn(`PyML panel: dropped a malformed message from the webview (${parsed.error})`);
      return;
    }
    try {
      await this.handle(parsed.value);
    } catch (err) {
      const text = explainError(err).message;
      this.host.log.error(`PyML panel: ${parsed.value.type} failed: ${text}`);
      this.post({ type: 'notice', level: 'error', text });
    }
  }

  /** The connected model, for commands and tests. */
  get connection(): { readonly address: string; readonly schema: ModelSchema } | undefined {
    return this.target && this.schema ? { address: this.target.address, schema: this.schema } : undefined;
  }

  /** The target the panel is connected to (or trying to), with its folder when known. */
  get currentTarget(): TargetEntry | undefined {
    return this.target;
  }

  /** What the panel last said about the connected model's container. */
  get modelState(): ModelState | undefined {
    return this.state;
  }

  /** The targets last listed. */
  get knownTargets(): readonly TargetEntry[] {
    return this.targets;
  }

  /** Lists the targets again and tells the webview. */
  async refreshTargets(): Promise<readonly TargetEntry[]> {
    await this.sendTargets();
    return this.targets;
  }

  /** What the panel says about the connected model's container (stopped, restarting, reloaded ...). */
  setModelState(state: ModelState): void {
    if (this.state?.state === state.state && this.state.text === state.text) return;
    this.state = state;
    this.post({ type: 'modelState', ...state });
  }

  /** Whether a request is waiting for its answer. */
  get busy(): boolean {
    return this.inFlight.size > 0;
  }

  /** Tells the webview something (the debugger paused a request, for instance). */
  notice(level: 'info' | 'warn' | 'error', text: string): void {
    this.post({ type: 'notice', level, text });
  }

  dispose(): void {
    this.disposed = true;
    for (const c of this.inFlight.values()) c.abort();
    this.client?.close();
    this.client = undefined;
    this.tables.clear();
    this.loaded.clear();
  }

  private async handle(m: ToExtension): Promise<void> {
    switch (m.type) {
      case 'ready':
        await this.sendTargets();
        this.postConnection();
        if (this.state) this.post({ type: 'modelState', ...this.state });
        this.postHistory();
        if (!this.webviewReady) {
          this.webviewReady = true;
          for (const message of this.beforeReady.splice(0)) this.post(message);
        }
        return;
      case 'runModel':
        await this.host.runModel?.(this.target?.folder);
        return;
      case 'getCell': {
        const table = this.tables.get(m.tableId);
        if (!table) throw new Error('That table is no longer held (dropped from the history).');
        this.post({ type: 'cellDetail', tableId: m.tableId, row: m.row, column: m.column, text: cellText(table, m.row, m.column) });
        return;
      }
      case 'refreshTargets':
        await this.sendTargets();
        return;
      case 'connect':
        await this.connect(m.targetId, m.address, m.model);
        return;
      case 'send':
        await this.send(m.requestId, m.input);
        return;
      case 'cancel':
        this.inFlight.get(m.requestId)?.abort();
        return;
      case 'getRows': {
        const table = this.tables.get(m.tableId);
        if (!table) {
          this.post({ type: 'notice', level: 'warn', text: 'That table is no longer held (dropped from the history).' });
          return;
        }
        this.post({ type: 'rows', tableId: m.tableId, start: m.start, rows: rowWindow(table, m.start, m.count) });
        return;
      }
      case 'loadFile':
        await this.loadFile();
        return;
      case 'editLoaded':
        this.editLoaded(m.inputId);
        return;
      case 'openFrame': {
        const file = this.links.get(m.file);
        if (!file) {
          this.host.log.warn(`PyML panel: refused to open '${m.file}': not a frame of the last error`);
          return;
        }
        await this.host.openFile(file, m.line);
        return;
      }
      case 'resend': {
        const record = this.record(m.historyId);
        if (!record.input) throw new Error('That request was dropped from memory; only the last requests can be sent again.');
        await this.run(`r${this.nextId++}`, record.input, record.target, record.schema);
        return;
      }
      case 'compare':
        this.compare(m.a, m.b);
        return;
      case 'saveSample':
        await this.saveSample(m.historyId, m.name);
        return;
      case 'copyGrpcurl':
        await this.copyGrpcurl(m.historyId);
        return;
      case 'showHistoryEntry':
        this.showEntry(m.historyId);
        return;
      case 'log':
        this.host.log[m.level](`PyML panel (webview): ${m.text}`);
        return;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Targets and connection

  private async sendTargets(): Promise<void> {
    const list = await this.host.listTargets();
    this.targets = list.targets;
    this.post({ type: 'targets', targets: list.targets.map(publicTarget), ...(list.note ? { note: list.note } : {}) });
  }

  /**
   * Connects to a target by id or address; posts `connection` with the schema or the reason it failed.
   * A connection asked for while another is being made waits for it, so neither cuts the other's channel.
   */
  connect(targetId: string | undefined, address: string | undefined, model: string | undefined): Promise<void> {
    const next = this.connecting.then(() => this.connectNow(targetId, address, model));
    this.connecting = next.catch(() => undefined);
    return next;
  }

  private async connectNow(targetId: string | undefined, address: string | undefined, model: string | undefined): Promise<void> {
    let target: TargetEntry;
    if (targetId) {
      const found = this.targets.find((t) => t.id === targetId);
      if (!found) throw new Error('That target is gone; refresh the list.');
      target = model ? { ...found, model } : found;
    } else if (address) {
      target = addressTarget(address, model);
    } else {
      throw new Error('Pick a running model or type an address (unix:///path/to/socket or host:port).');
    }
    this.client?.close();
    this.client = undefined;
    this.schema = undefined;
    this.state = undefined;
    this.target = target;
    const settings = this.host.settings();
    const client = new V2Client(target.address, { protoPath: settings.protoPath, maxMessageBytes: settings.maxMessageBytes });
    this.client = client;
    try {
      const server = await client.serverMetadata({ deadlineMs: 5000 });
      this.serverName = `${server.name} ${server.version}`.trim();
      const name = target.model ?? (await this.onlyModel(client));
      this.schema = schemaFromMetadata(await client.modelMetadata(name, '', { deadlineMs: 5000 }));
      this.target = { ...target, model: this.schema.model };
      this.host.log.info(`PyML panel: connected to ${target.address} (${this.serverName}), model ${this.schema.model} (${this.schema.kind})`);
      this.postConnection();
      this.host.onConnected?.(target.address, this.schema.model);
    } catch (err) {
      const text = connectionProblem(target.address, err);
      this.host.log.warn(`PyML panel: ${text}${err instanceof V2Error ? ` (${err.codeName}: ${err.details})` : ''}`);
      this.post({ type: 'connection', address: target.address, server: this.serverName, error: text, ...(target.kind === 'container' || target.folder ? { action: 'runModel' as const } : {}) });
      return;
    }
    await this.loadModelSample(this.schema.model, this.target);
  }

  /**
   * The model's own sample: its value ranges for random inputs, on every connection; loaded as the
   * input the first time the panel connects to that model.
   */
  private async loadModelSample(model: string, target: TargetEntry): Promise<void> {
    if (!this.host.modelSample) return;
    let file: string | undefined;
    try {
      const folder = await this.host.modelFolder(model, target);
      file = folder ? await this.host.modelSample(folder) : undefined;
      if (!file) {
        this.post({ type: 'ranges', source: '', inputs: {} });
        return;
      }
      this.post({ type: 'ranges', source: path.basename(file), inputs: sampleRanges(await readSample(file)) });
      if (this.sampled.has(model)) return;
      this.sampled.add(model);
      await this.loadPath(file);
    } catch (err) {
      this.post({ type: 'notice', level: 'warn', text: `The model's sample ${file ? path.basename(file) : ''} was not loaded: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  /** The model a server serves when no name was given: the only (ready) one of its repository index. */
  private async onlyModel(client: V2Client): Promise<string> {
    let index;
    try {
      index = await client.repositoryIndex({ deadlineMs: 5000 });
    } catch {
      throw new Error('the server does not list its models; give the model name');
    }
    const ready = index.filter((m) => m.state === '' || m.state.toUpperCase() === 'READY');
    const only = ready.length === 1 ? ready[0] : index.length === 1 ? index[0] : undefined;
    if (!only) throw new Error(`the server has ${index.length} models (${index.map((m) => m.name).join(', ')}); give the model name`);
    return only.name;
  }

  private postConnection(): void {
    if (!this.target) return;
    this.post({ type: 'connection', address: this.target.address, server: this.serverName, ...(this.schema ? { schema: this.schema } : {}) });
  }

  // ------------------------------------------------------------------------------------------
  // Sending

  private async send(requestId: string, payload: InputPayload): Promise<void> {
    const { target, schema } = this;
    if (!target || !schema || !this.client) {
      this.post({ type: 'failed', requestId, failure: { status: 'LOCAL', message: 'Not connected: pick a running model or give an address first.' } });
      return;
    }
    let input: PreparedInput;
    try {
      input = this.prepare(schema, payload);
    } catch (err) {
      this.post({ type: 'failed', requestId, failure: localFailure(err) });
      return;
    }
    await this.run(requestId, input, target, schema);
  }

  private prepare(schema: ModelSchema, payload: InputPayload): PreparedInput {
    switch (payload.source) {
      case 'grid':
        if (schema.kind !== 'dataframe') throw new InputError('this model takes tensors, not a DataFrame');
        return { kind: 'table', table: gridToTable(schema, payload.columns) };
      case 'tensors':
        return { kind: 'tensors', tensors: tensorsFromText(schema, payload.tensors) };
      case 'loaded': {
        const loaded = this.loaded.get(payload.inputId);
        if (!loaded) throw new InputError('that loaded file is no longer held; load it again');
        loaded.prepared ??= conformLoaded(schema, loaded.loaded).prepared;
        return loaded.prepared;
      }
    }
  }

  /** Sends a prepared input; records it in the history; posts `result` or `failed`. */
  async run(requestId: string, input: PreparedInput, target: TargetEntry, schema: ModelSchema): Promise<void> {
    const client = this.client;
    if (!client) return;
    const historyId = `h${this.nextId++}`;
    const abort = new AbortController();
    this.inFlight.set(requestId, abort);
    this.post({ type: 'sending', requestId });
    const settings = this.host.settings(target.address);
    const options: CallOptions & { id: string } = { deadlineMs: settings.timeoutMs, signal: abort.signal, id: requestId };
    const started = Date.now();
    const base = { historyId, at: started, model: schema.model, address: target.address, summary: describePrepared(input), kept: true };
    try {
      const outcome = await runInference(client, schema.model, input, options);
      if (this.disposed) return;
      const tableId = `t${this.nextId++}`;
      this.tables.set(tableId, outcome.table);
      this.remember({
        entry: { ...base, ok: true, status: 'OK', roundTripMs: outcome.timings.roundTripMs },
        input,
        outputs: outcome.outputs,
        tableId,
        outcome,
        failure: undefined,
        target,
        schema,
        requestId,
      });
      this.post({ type: 'result', requestId, historyId, table: tableInfo(tableId, outcome.table), timings: outcome.timings, sizes: outcome.sizes });
    } catch (err) {
      if (this.disposed) return;
      const failure = err instanceof V2Error && err.isConnectionFailure
        ? notRunning(schema.model, target)
        : err instanceof V2Error ? await this.remoteFailure(err, target, schema) : localFailure(err);
      if (err instanceof V2Error && err.isConnectionFailure) {
        this.host.log.warn(`PyML panel: ${target.address} did not answer (${err.codeName}: ${err.details})`);
        this.setModelState({ state: 'stopped', text: `${schema.model} is not running.` });
      }
      if (!(err instanceof V2Error) && !(err instanceof InputError) && !(err instanceof CodecError)) {
        this.host.log.error(`PyML panel: request failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
      this.remember({
        entry: { ...base, ok: false, status: failure.status, roundTripMs: Date.now() - started },
        input,
        outputs: undefined,
        tableId: undefined,
        outcome: undefined,
        failure,
        target,
        schema,
        requestId,
      });
      this.post({ type: 'failed', requestId, historyId, failure });
    } finally {
      this.inFlight.delete(requestId);
      this.postHistory();
    }
  }

  private async remoteFailure(err: V2Error, target: TargetEntry, schema: ModelSchema): Promise<Failure> {
    const report = err.report;
    if (!report) return { status: err.codeName, message: err.details };
    const folder = await this.host.modelFolder(schema.model, target);
    const mapped = mapFrames(report.frames, folder);
    this.links = mapped.links;
    return {
      status: err.codeName,
      message: err.details,
      error: { type: report.type, message: report.message, phase: report.phase, frames: mapped.frames, traceback: report.traceback },
    };
  }

  private remember(record: HistoryRecord): void {
    this.history.unshift(record);
    // Keep the data of the latest few entries only: 1,000,000-row tables add up.
    this.history.forEach((r, i) => {
      if (i >= HISTORY_DATA_LIMIT && r.input) {
        // Nothing else holds this answer's table (cells, rows and comparisons read it synchronously),
        // so its memory goes back to the client for the next big answers.
        if (r.tableId) this.tables.delete(r.tableId);
        r.outcome?.release();
        r.input = undefined;
        r.outputs = undefined;
        r.outcome = undefined;
        r.tableId = undefined;
        r.entry = { ...r.entry, kept: false };
      }
    });
    for (const dropped of this.history.splice(HISTORY_LIMIT)) {
      if (dropped.tableId) this.tables.delete(dropped.tableId);
    }
  }

  private postHistory(): void {
    this.post({ type: 'history', entries: this.history.map((r) => r.entry) });
  }

  private record(historyId: string): HistoryRecord {
    const record = this.history.find((r) => r.entry.historyId === historyId);
    if (!record) throw new Error('That request is no longer in the history.');
    return record;
  }

  private showEntry(historyId: string): void {
    const r = this.record(historyId);
    if (r.outcome && r.tableId && this.tables.has(r.tableId)) {
      const table = this.tables.get(r.tableId);
      if (table) this.post({ type: 'result', requestId: r.requestId, historyId, table: tableInfo(r.tableId, table), timings: r.outcome.timings, sizes: r.outcome.sizes });
    } else if (r.failure) {
      this.post({ type: 'failed', requestId: r.requestId, historyId, failure: r.failure });
    } else {
      this.post({ type: 'notice', level: 'warn', text: 'That answer was dropped from memory; only the last answers are kept.' });
    }
  }

  private compare(a: string, b: string): void {
    const ra = this.record(a);
    const rb = this.record(b);
    const ta = ra.tableId ? this.tables.get(ra.tableId) : undefined;
    const tb = rb.tableId ? this.tables.get(rb.tableId) : undefined;
    if (!ta || !tb) throw new Error('Both requests need an answer still in memory to be compared.');
    this.post({ type: 'comparison', comparison: { a, b, columns: compareTables(ta, tb) } });
  }

  // ------------------------------------------------------------------------------------------
  // Samples, grpcurl, files

  private async saveSample(historyId: string, name: string): Promise<void> {
    const r = this.record(historyId);
    if (!r.input || !r.outputs) throw new Error('Only a request that got an answer, still in memory, can be saved as a sample.');
    const folder = await this.host.modelFolder(r.schema.model, r.target);
    if (!folder) throw new Error(`No model folder for '${r.schema.model}' in this workspace: open the folder with its pyml.yaml to save samples next to it.`);
    const file = await this.host.writeSample(folder, name, sampleJson(r.schema.model, r.input, r.outputs));
    this.host.log.info(`PyML panel: saved sample ${file}`);
    this.post({ type: 'notice', level: 'info', text: `Saved ${file}` });
    this.host.onSampleSaved?.(file);
  }

  private async copyGrpcurl(historyId: string): Promise<void> {
    const r = this.record(historyId);
    if (!r.input) throw new Error('That request was dropped from memory.');
    const command = grpcurlCommand(r.target.address, this.host.settings().protoPath, r.schema.model, encodeInput(r.input));
    await this.host.copy(command);
    const large = command.length > LARGE_GRPCURL_BYTES;
    this.post({ type: 'notice', level: large ? 'warn' : 'info', text: large ? `Copied a grpcurl command of ${(command.length / 2 ** 20).toFixed(1)} MiB` : 'Copied the grpcurl command' });
  }

  private async loadFile(): Promise<void> {
    const file = await this.host.pickInputFile();
    if (!file) return;
    await this.loadPath(file);
  }

  /** Loads an input file (also used by tests and by drag-and-drop). */
  async loadPath(file: string): Promise<void> {
    const loaded = await loadInputFile(file, this.schema);
    const inputId = `in${this.nextId++}`;
    const record: LoadedInput = { file, loaded, prepared: undefined };
    let warnings = [...loaded.warnings];
    let preview = loaded.preview;
    if (this.schema) {
      try {
        const conformed = conformLoaded(this.schema, loaded);
        record.prepared = conformed.prepared;
        preview = conformed.preview;
        warnings = [...warnings, ...conformed.warnings];
      } catch (err) {
        warnings.push(`Does not fit model '${this.schema.model}' yet: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.loaded.set(inputId, record);
    const tableId = `t${this.nextId++}`;
    this.tables.set(tableId, preview);
    this.post({ type: 'loaded', inputId, file, table: tableInfo(tableId, preview), warnings });
  }

  private editLoaded(inputId: string): void {
    const loaded = this.loaded.get(inputId);
    if (!loaded) throw new Error('That loaded file is no longer held.');
    const table = loaded.prepared?.kind === 'table' ? loaded.prepared.table : loaded.loaded.kind === 'table' ? loaded.loaded.table : undefined;
    if (!table) throw new Error('Only tables can be edited in the grid.');
    if (table.numRows * Math.max(1, table.numCols) > MAX_EDIT_CELLS) {
      throw new Error(`${table.numRows} rows are too many to edit in the grid (up to ${MAX_EDIT_CELLS} cells); send it as loaded.`);
    }
    const rows = rowWindow(table, 0, table.numRows);
    const columns = table.schema.fields.map((f, c) => ({ name: f.name, cells: rows.map((r) => r[c] ?? null) }));
    this.post({ type: 'gridData', columns });
  }

  private post(message: ToWebview): void {
    if (this.disposed) return;
    if (!this.webviewReady && REPLAYED_ON_READY.has(message.type)) this.beforeReady.push(message);
    this.host.post(message);
  }
}

/** Makes a loaded file fit the schema: the request to send and the table to preview. */
function conformLoaded(schema: ModelSchema, loaded: LoadedFile): { prepared: PreparedInput; preview: AnyTable; warnings: string[] } {
  if (loaded.kind === 'table') {
    if (schema.kind === 'dataframe') {
      const { table, warnings } = conformTable(schema, loaded.table);
      return { prepared: { kind: 'table', table }, preview: table, warnings };
    }
    return { prepared: { kind: 'tensors', tensors: tableToTensors(schema, loaded.table) }, preview: loaded.preview, warnings: [] };
  }
  if (schema.kind === 'dataframe') {
    throw new InputError('this model takes a DataFrame; load a CSV, JSON, Arrow or Parquet table');
  }
  const tensors = conformTensors(schema, loaded.tensors);
  const renamed = loaded.tensors.length === 1 && tensors.length === 1 && loaded.tensors[0]?.name !== tensors[0]?.name;
  const warnings = renamed ? [`sent as input '${tensors[0]?.name ?? ''}' (the file's array is '${loaded.tensors[0]?.name ?? ''}')`] : [];
  return { prepared: { kind: 'tensors', tensors }, preview: tensorPreview(tensors), warnings };
}

function publicTarget(t: TargetEntry): TargetEntry {
  return { id: t.id, label: t.label, detail: t.detail, address: t.address, kind: t.kind };
}

function localFailure(err: unknown): Failure {
  const message = err instanceof Error ? err.message : String(err);
  return { status: err instanceof InputError || err instanceof CodecError ? 'LOCAL' : 'INTERNAL', message };
}

/** What the panel says when it cannot connect: plain words for a server that does not answer, else the one explanation of errors. */
function connectionProblem(address: string, err: unknown): string {
  if (err instanceof V2Error && err.isConnectionFailure) return `Nothing answers at ${address}: the model is not running (or the address is wrong). Run it (PyML: Run Model), then connect again.`;
  return explainError(err, { summary: address, address }).message;
}

/** A request to a model that does not answer: said in plain words, with the way out. */
function notRunning(model: string, target: TargetEntry): Failure {
  return {
    status: 'NOT RUNNING',
    message: `Model '${model}' is not running: nothing answers at ${target.address}. Run it again (Run Model), then send.`,
    action: 'runModel',
  };
}

