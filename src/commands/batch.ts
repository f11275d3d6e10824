/**
 * PyML: Run Batch Prediction — pick the model folder, the input (a file, or a SQL query over local
 * files), the key columns to carry through, the output file and the rows per batch; the input is
 * checked against the model before anything starts; then the model's image is built (from the
 * cache when unchanged), a container of it started, and the rows streamed through it with a
 * progress notification (rows done, rows/s) that can cancel. The output appears under its name
 * only when every batch succeeded.
 *
 * The batch code (readers, writers, DuckDB) loads on first use, never at activation.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import type * as Batch from '../batch/index';
import type { Ctx } from '../ctx';
import { DEBUG_REQUEST_TIMEOUT_MS } from '../debug/state';
import type { Manifest } from '../model/manifest';
import { UserError } from '../userError';
import { dockerOrExplain } from './docker';
import { resolveModelFolder } from './modelFolder';

type BatchModule = typeof Batch;

/** What the user chose; also what callers (tests, other commands) may pass as the argument. */
export interface BatchRequest {
  readonly folder: string;
  readonly input: { readonly file: string } | { readonly sql: string; readonly cwd?: string };
  readonly output: string;
  readonly keys?: readonly string[];
  readonly rowsPerBatch?: number;
}

export async function runBatchCommand(ctx: Ctx, arg?: unknown): Promise<void> {
  // Where to run: this machine (below), or a Dask cluster (src/cluster/command.ts).
  const cluster = await import('../cluster/command');
  if (cluster.isClusterRequest(arg)) return cluster.runClusterBatch(ctx, arg);
  if (!isBatchRequest(arg)) {
    const where = await cluster.askWhere();
    if (!where) return;
    if (where !== 'machine') return cluster.askAndRunClusterBatch(ctx, where, arg);
  }
  const batch = await import('../batch/index');
  let request: BatchRequest | undefined;
  try {
    request = isBatchRequest(arg) ? arg : await ask(ctx, batch, arg);
  } catch (err) {
    void ctx.log.explain(err, { summary: 'batch prediction failed' });
    return;
  }
  if (!request) return;
  await runRequest(ctx, batch, request);
}

function isBatchRequest(arg: unknown): arg is BatchRequest {
  if (typeof arg !== 'object' || arg === null) return false;
  const r = arg as Record<string, unknown>;
  return typeof r['folder'] === 'string' && typeof r['output'] === 'string' && typeof r['input'] === 'object' && r['input'] !== null;
}

// ---- asking ----------------------------------------------------------------------------------

async function ask(ctx: Ctx, batch: BatchModule, arg: unknown): Promise<BatchRequest | undefined> {
  const folder = await resolveModelFolder(arg, 'run a batch prediction with');
  if (!folder) return undefined;
  const { loadManifest } = await import('../model/manifest');
  const manifest = await loadManifest(folder);

  const input = await askInput(batch, folder);
  if (!input) return undefined;
  const source = await openInput(ctx, batch, input);
  if (!source) return undefined;
  let keys: string[];
  try {
    const picked = await askKeys(source.fields, manifest);
    if (!picked) return undefined;
    keys = picked;
    // The schema check, before anything is built, started or sent.
    batch.checkInput(manifest, source.fields, keys);
  } finally {
    await source.close();
  }

  const output = await askOutput(batch, 'file' in input ? input.file : path.join(folder, `${manifest.name}.sql`), manifest);
  if (!output) return undefined;
  const rowsPerBatch = await askRowsPerBatch(ctx.config.rowsPerBatch);
  if (rowsPerBatch === undefined) return undefined;
  return { folder, input, output, keys, rowsPerBatch };
}

async function askInput(batch: BatchModule, folder: string): Promise<BatchRequest['input'] | undefined> {
  type Choice = vscode.QuickPickItem & { kind2: 'file' | 'sql' | 'editor' };
  const editor = vscode.window.activeTextEditor;
  const sqlEditor = editor && (editor.document.languageId === 'sql' || editor.document.fileName.endsWith('.sql')) ? editor : undefined;
  const choices: Choice[] = [
    { label: '$(file) A file', description: 'CSV, Parquet, JSON lines, Arrow IPC', kind2: 'file' },
    { label: '$(database) A SQL query over local files', description: 'runs in DuckDB', kind2: 'sql' },
  ];
  if (sqlEditor) {
    choices.unshift({ label: `$(database) The SQL in ${path.basename(sqlEditor.document.fileName)}`, description: sqlEditor.selection.isEmpty ? 'the whole file' : 'the selection', kind2: 'editor' });
  }
  const choice = await vscode.window.showQuickPick(choices, { title: 'PyML: Run Batch Prediction — the rows to predict' });
  if (!choice) return undefined;
  const cwd = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(folder))?.uri.fsPath ?? folder;
  if (choice.kind2 === 'editor' && sqlEditor) {
    const doc = sqlEditor.document;
    const sql = (sqlEditor.selection.isEmpty ? doc.getText() : doc.getText(sqlEditor.selection)).trim();
    return { sql, cwd: doc.uri.scheme === 'file' ? path.dirname(doc.uri.fsPath) : cwd };
  }
  if (choice.kind2 === 'sql') {
    const sql = await vscode.window.showInputBox({
      title: 'PyML: SQL query over local files (DuckDB)',
      prompt: `Relative paths start at ${cwd}`,
      placeHolder: "SELECT * FROM 'data/customers.parquet' WHERE country = 'NL'",
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : 'Write a query, e.g. SELECT * FROM \'data/*.parquet\''),
    });
    return sql ? { sql: sql.trim(), cwd } : undefined;
  }
  const filters: Record<string, string[]> = {
    'Tables (CSV, Parquet, JSON lines, Arrow)': Object.values(batch.INPUT_EXTENSIONS).flat(),
  };
  const picked = await vscode.window.showOpenDialog({ title: 'PyML: the rows to predict', canSelectMany: false, filters, defaultUri: vscode.Uri.file(cwd) });
  const file = picked?.[0]?.fsPath;
  return file ? { file } : undefined;
}

type Source = Awaited<ReturnType<BatchModule['openSource']>>;

/** Opens the input, explaining (with a way out) when it cannot: DuckDB missing, a bad file or query. */
async function openInput(ctx: Ctx, batch: BatchModule, input: BatchRequest['input']): Promise<Source | undefined> {
  try {
    return await batch.openSource(inputSpec(ctx, batch, input));
  } catch (err) {
    if (err instanceof batch.DuckDbMissingError) {
      await ctx.log.explain(duckDbMissing(err, batch));
      return undefined;
    }
    throw err;
  }
}

function inputSpec(ctx: Ctx, batch: BatchModule, input: BatchRequest['input']): Batch.InputSpec {
  if ('file' in input) return { kind: 'file', path: input.file };
  return { kind: 'sql', query: input.sql, cwd: input.cwd ?? process.cwd(), duckdb: () => batch.loadDuckDb(duckDbDirs(ctx)) };
}

/** Where DuckDB is looked for: the extension's own node_modules (development), then global storage. */
function duckDbDirs(ctx: Ctx): string[] {
  return [ctx.extension.extensionPath, path.join(ctx.extension.globalStorageUri.fsPath, 'duckdb')];
}

/** DuckDB is not installed: a warning whose button installs it in a terminal. */
function duckDbMissing(err: Batch.DuckDbMissingError, batch: BatchModule): UserError {
  return new UserError(err.message, {
    severity: 'warning',
    actions: [{ kind: 'runInTerminal', label: 'Install DuckDB in a Terminal', terminal: 'PyML: install DuckDB', text: `mkdir -p "${err.installDir}" && ${batch.installCommand(err.installDir)}` }],
    cause: err,
  });
}

async function askKeys(fields: Source['fields'], manifest: Manifest): Promise<string[] | undefined> {
  const inputs = new Set(manifest.inputs.map((f) => f.name));
  const outputs = new Set(manifest.outputs.map((f) => f.name));
  const items = fields
    .filter((f) => !outputs.has(f.name))
    .map((f): vscode.QuickPickItem => ({ label: f.name, description: inputs.has(f.name) ? `${f.typeName} · a model input` : f.typeName }));
  if (items.length === 0) return [];
  const picked = await vscode.window.showQuickPick(items, {
    title: 'PyML: columns to carry through next to the outputs (keys); none is fine',
    canPickMany: true,
    matchOnDescription: true,
  });
  return picked?.map((p) => p.label);
}

async function askOutput(batch: BatchModule, near: string, manifest: Manifest): Promise<string | undefined> {
  const base = path.basename(near).replace(/\.[^.]+$/, '');
  const uri = await vscode.window.showSaveDialog({
    title: 'PyML: where to write the predictions',
    defaultUri: vscode.Uri.file(path.join(path.dirname(near), `${base}.${manifest.name}-predictions.parquet`)),
    filters: { Parquet: ['parquet'], CSV: ['csv'], 'Arrow IPC': ['arrow', 'feather', 'arrows'] },
  });
  if (!uri) return undefined;
  if (!batch.outputFormatOf(uri.fsPath)) {
    void vscode.window.showErrorMessage(`PyML: ${path.basename(uri.fsPath)}: write .parquet, .csv or .arrow (the format follows the extension).`);
    return undefined;
  }
  return uri.fsPath;
}

async function askRowsPerBatch(current: number): Promise<number | undefined> {
  const text = await vscode.window.showInputBox({
    title: 'PyML: rows per batch (one request to the model each)',
    value: String(current),
    prompt: 'Default from the setting pyml.batch.rowsPerBatch',
    validateInput: (v) => (/^\s*[1-9]\d*\s*$/.test(v) ? undefined : 'A whole number of at least 1'),
  });
  return text === undefined ? undefined : Number(text.trim());
}

// ---- running ---------------------------------------------------------------------------------

async function runRequest(ctx: Ctx, batch: BatchModule, request: BatchRequest): Promise<void> {
  const { loadManifest } = await import('../model/manifest');
  const manifest = await loadManifest(request.folder);
  const format = batch.outputFormatOf(request.output);
  if (!format) throw new Error(`${request.output}: write .parquet, .csv or .arrow (the format follows the extension)`);
  const source = await openInput(ctx, batch, request.input);
  if (!source) return;
  const log = ctx.log;
  const title = `PyML: batch prediction with ${manifest.name}`;
  try {
    const plan = batch.checkInput(manifest, source.fields, request.keys ?? []);
    const manager = await ctx.containerManager.get();
    if (!(await dockerOrExplain(ctx, manager))) return;
    const outcome = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      const abort = new AbortController();
      const onCancel = token.onCancellationRequested(() => {
        abort.abort();
      });
      let model: Awaited<ReturnType<BatchModule['startBatchContainer']>> | undefined;
      // A model being debugged takes the batch's rows itself, so they stop at its breakpoints.
      const debugged = manager.model(request.folder);
      if (debugged && debugged.status !== 'exited' && ctx.debugState.isAttached(debugged.container.info.address)) {
        log.info(`Batch: ${source.description} -> ${request.output} through the debug container ${debugged.container.info.name}`);
        try {
          return await batch.runBatch({
            model: manifest,
            source,
            plan,
            predictor: batch.containerPredictor(debugged.container, DEBUG_REQUEST_TIMEOUT_MS),
            output: request.output,
            format,
            rowsPerBatch: request.rowsPerBatch ?? ctx.config.rowsPerBatch,
            signal: abort.signal,
            onProgress: (p) => {
              progress.report({ message: progressText(p) });
            },
          });
        } finally {
          onCancel.dispose();
        }
      }
      try {
        const built = await manager.build(
          request.folder,
          {
            report: (message) => {
              progress.report({ message });
            },
          },
          token,
        );
        if (!built || abort.signal.aborted) return undefined;
        const engine = await manager.engine();
        model = await batch.startBatchContainer(engine, {
          folder: request.folder,
          manifest,
          image: built.tag,
          settings: manager.runSettings(),
          signal: abort.signal,
          onProgress: (message) => {
            progress.report({ message });
          },
        });
        log.info(`Batch: ${source.description} -> ${request.output} through ${built.tag} (${model.info.name}), ${request.rowsPerBatch ?? ctx.config.rowsPerBatch} rows per batch`);
        let reported = 0;
        let lastReport = 0;
        return await batch.runBatch({
          model: manifest,
          source,
          plan,
          predictor: batch.containerPredictor(model, ctx.config.predictTimeoutSeconds * 1000),
          output: request.output,
          format,
          rowsPerBatch: request.rowsPerBatch ?? ctx.config.rowsPerBatch,
          inFlight: ctx.config.requestsInFlight,
          signal: abort.signal,
          onProgress: (p) => {
            const now = Date.now();
            if (now - lastReport < 200 && p.fraction !== 1) return;
            lastReport = now;
            const fraction = p.fraction ?? (p.totalRows ? p.rowsDone / p.totalRows : undefined);
            const increment = fraction === undefined ? undefined : Math.max(0, fraction * 100 - reported);
            if (increment !== undefined) reported += increment;
            progress.report({ message: progressText(p), ...(increment !== undefined ? { increment } : {}) });
          },
        });
      } finally {
        onCancel.dispose();
        if (model) {
          const name = model.info.name;
          await model.stop(2).catch((err: unknown) => {
            log.warn(`Batch: could not remove ${name}: ${String(err)}`);
          });
        }
      }
    });
    if (!outcome) {
      log.info('Batch: cancelled before any row was sent');
      return;
    }
    const seconds = outcome.elapsedMs / 1000;
    log.info(`Batch: wrote ${outcome.rows} rows in ${outcome.batches} batches to ${outcome.output} in ${seconds.toFixed(1)} s`);
    const reveal = 'Reveal in Explorer';
    const open = 'Open';
    const actions = format === 'csv' ? [open, reveal] : [reveal];
    const choice = await vscode.window.showInformationMessage(
      `PyML: wrote ${outcome.rows.toLocaleString('en')} rows to ${path.basename(outcome.output)} in ${seconds.toFixed(1)} s (${Math.round(outcome.rows / Math.max(seconds, 1e-3)).toLocaleString('en')} rows/s).`,
      ...actions,
    );
    if (choice === open) await vscode.window.showTextDocument(vscode.Uri.file(outcome.output));
    if (choice === reveal) await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(outcome.output));
  } catch (err) {
    // A failed build offers Show Problems, a model exception its line, as everywhere else.
    void ctx.log.explain(err, { summary: 'batch prediction failed', folder: request.folder });
  } finally {
    await source.close();
  }
}

function progressText(p: Batch.BatchProgress): string {
  const done = p.rowsDone.toLocaleString('en');
  const of = p.totalRows !== undefined ? ` of ${p.totalRows.toLocaleString('en')}` : '';
  return `${done}${of} rows · ${Math.round(p.rowsPerSecond).toLocaleString('en')} rows/s`;
}
