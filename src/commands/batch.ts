/**
 * PyML: Run Batch Prediction — the rows to predict (a table file of the workspace, or a SQL query
 * over local files), the columns to carry through (only when the input has any besides the model's),
 * and where to write (outside the model folder, CSV for a small input); the input is checked against
 * the model before anything starts; then the model's image is built (from the cache when unchanged),
 * a container of it started, and the rows streamed through it with a progress notification that can
 * cancel. The output appears under its name only when every batch succeeded, and the notification
 * that says so offers Preview / Open / Reveal / Run Again.
 *
 * The choices are remembered per model: PyML: Run Batch Prediction Again runs the last one with no
 * question, and the next Run Batch Prediction starts from them.
 *
 * The batch code (readers, writers, DuckDB) loads on first use, never at activation.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type * as Batch from '../batch/index';
import { BatchMemory, parseRequest, type BatchInput, type BatchRequest } from '../batchUi/choices';
import { defaultFormat, formatOfPath } from '../batchUi/defaults';
import { progressText } from '../batchUi/wording';
import type { Ctx } from '../ctx';
import { DEBUG_REQUEST_TIMEOUT_MS } from '../debug/state';
import type { Manifest } from '../model/manifest';
import { UserError } from '../userError';
import { reportDone } from './batchDone';
import { askInput, askKeys, askOutput, workspaceRootOf } from './batchPrompts';
import { dockerOrExplain } from './docker';
import { enclosingModelFolder, resolveModelFolder } from './modelFolder';

type BatchModule = typeof Batch;
type Source = Awaited<ReturnType<BatchModule['openSource']>>;

export type { BatchRequest } from '../batchUi/choices';

/** PyML: Run Batch Prediction. A BatchRequest as the argument (tests, other commands) runs it as it is. */
export async function runBatchCommand(ctx: Ctx, arg?: unknown): Promise<void> {
  // Where to run: this machine (below), or a Dask cluster (src/cluster/command.ts).
  const cluster = await import('../cluster/command');
  if (cluster.isClusterRequest(arg)) return cluster.runClusterBatch(ctx, arg);
  if (!parseRequest(arg)) {
    const where = await cluster.askWhere();
    if (!where) return;
    if (where !== 'machine') return cluster.askAndRunClusterBatch(ctx, where, arg);
  }
  const batch = await import('../batch/index');
  const given = parseRequest(arg);
  let request: BatchRequest | undefined;
  try {
    request = given ?? (await ask(ctx, batch, arg));
  } catch (err) {
    void ctx.log.explain(err, { summary: 'batch prediction failed' });
    return;
  }
  if (!request) return;
  await runRequest(ctx, batch, request);
}

/** PyML: Run Batch Prediction Again: the last run of this model (or of any), no question asked. */
export async function runBatchAgainCommand(ctx: Ctx, arg?: unknown): Promise<void> {
  const memory = memoryOf(ctx);
  const folder = await folderHint(arg);
  const request = (folder !== undefined ? memory.last(folder) : undefined) ?? memory.last();
  if (!request) {
    const run = 'Run Batch Prediction';
    const choice = await vscode.window.showInformationMessage('PyML: no batch prediction has run in this workspace yet.', run);
    if (choice === run) await vscode.commands.executeCommand('pyml.runBatch', ...(arg !== undefined ? [arg] : []));
    return;
  }
  await runRequest(ctx, await import('../batch/index'), request);
}

/** PyML: Preview Table: the first rows of a CSV / Parquet / Arrow / JSON lines file. */
export async function previewTableCommand(ctx: Ctx, arg?: unknown): Promise<void> {
  let file = arg instanceof vscode.Uri && arg.scheme === 'file' ? arg.fsPath : undefined;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (!file && active?.scheme === 'file' && formatOfPath(active.fsPath)) file = active.fsPath;
  if (!file) {
    const picked = await vscode.window.showOpenDialog({
      title: 'PyML: the table to preview',
      canSelectMany: false,
      filters: { 'Tables (CSV, Parquet, JSON lines, Arrow)': ['csv', 'tsv', 'parquet', 'pq', 'jsonl', 'ndjson', 'arrow', 'arrows', 'feather'] },
    });
    file = picked?.[0]?.fsPath;
  }
  if (!file) return;
  const { TablePreview } = await import('../batchUi/previewPanel');
  TablePreview.createOrShow(ctx, file);
}

function memoryOf(ctx: Ctx): BatchMemory {
  return new BatchMemory(ctx.extension.workspaceState);
}

/** The model folder an argument or the active editor points at, without asking. */
async function folderHint(arg: unknown): Promise<string | undefined> {
  if (typeof arg === 'object' && arg !== null && typeof (arg as { folder?: unknown }).folder === 'string') return (arg as { folder: string }).folder;
  const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
  return uri?.scheme === 'file' ? enclosingModelFolder(uri.fsPath) : undefined;
}

// ---- asking ----------------------------------------------------------------------------------

/**
 * The questions, one step each, every one with a default Enter accepts; the last run's choices are
 * the defaults. A step (e.g. where to run) is added here, between the others.
 */
async function ask(ctx: Ctx, batch: BatchModule, arg: unknown): Promise<BatchRequest | undefined> {
  const folder = await resolveModelFolder(arg, 'run a batch prediction with');
  if (!folder) return undefined;
  const { loadManifest } = await import('../model/manifest');
  const manifest = await loadManifest(folder);
  const last = memoryOf(ctx).last(folder);

  // 1. The rows to predict.
  const input = await askInput(folder, last, Object.values(batch.INPUT_EXTENSIONS).flat());
  if (!input) return undefined;
  const source = await openInput(ctx, batch, input);
  if (!source) return undefined;

  // 2. The columns to carry through; the input is checked against the model before anything is built.
  let keys: string[];
  let totalRows: number | undefined;
  try {
    const picked = await askKeys(source.fields, manifest, last?.keys);
    if (!picked) return undefined;
    keys = picked;
    batch.checkInput(manifest, source.fields, keys);
    totalRows = source.totalRows;
  } finally {
    await source.close();
  }

  // 3. Where to write.
  const output = await askOutput({ folder, modelName: manifest.name, input, format: await formatFor(input, last, totalRows), ...placeOf(folder, last) });
  if (!output) return undefined;

  return { folder, input, output, keys, ...(last?.rowsPerBatch !== undefined ? { rowsPerBatch: last.rowsPerBatch } : {}) };
}

/** The output format that fits: the model's last one, else by the input's size. */
async function formatFor(input: BatchInput, last: BatchRequest | undefined, totalRows: number | undefined): Promise<ReturnType<typeof defaultFormat>> {
  const remembered = last ? formatOfPath(last.output) : undefined;
  const inputBytes = 'file' in input ? await fs.stat(input.file).then((s) => s.size, () => undefined) : undefined;
  const inputFormat = 'file' in input ? formatOfPath(input.file) ?? path.extname(input.file).slice(1).toLowerCase() : undefined;
  return defaultFormat({
    ...(remembered ? { remembered } : {}),
    ...(inputBytes !== undefined ? { inputBytes } : {}),
    ...(inputFormat ? { inputFormat } : {}),
    ...(totalRows !== undefined ? { totalRows } : {}),
  });
}

function placeOf(folder: string, last: BatchRequest | undefined): { workspaceRoot?: string; rememberedDir?: string } {
  const workspaceRoot = workspaceRootOf(folder);
  return { ...(workspaceRoot !== undefined ? { workspaceRoot } : {}), ...(last ? { rememberedDir: path.dirname(last.output) } : {}) };
}

/**
 * Opens the input. A SQL query without DuckDB offers to install it; once installed, the same query
 * opens (the run goes on, nothing is asked again).
 */
async function openInput(ctx: Ctx, batch: BatchModule, input: BatchInput): Promise<Source | undefined> {
  for (;;) {
    try {
      return await batch.openSource(inputSpec(ctx, batch, input));
    } catch (err) {
      if (!(err instanceof batch.DuckDbMissingError)) throw err;
      if (!(await offerDuckDb(ctx, err, batch))) return undefined;
    }
  }
}

function inputSpec(ctx: Ctx, batch: BatchModule, input: BatchInput): Batch.InputSpec {
  if ('file' in input) return { kind: 'file', path: input.file };
  return { kind: 'sql', query: input.sql, cwd: input.cwd ?? process.cwd(), duckdb: () => batch.loadDuckDb(duckDbDirs(ctx)) };
}

/** Where DuckDB is looked for: the extension's own node_modules (development), then global storage. */
function duckDbDirs(ctx: Ctx): string[] {
  return [ctx.extension.extensionPath, path.join(ctx.extension.globalStorageUri.fsPath, 'duckdb')];
}

/** DuckDB is missing: offers to install it, installs it in a task, and says whether it is there now. */
async function offerDuckDb(ctx: Ctx, err: Batch.DuckDbMissingError, batch: BatchModule): Promise<boolean> {
  const install = 'Install DuckDB';
  ctx.log.info(`Batch: ${err.message}`);
  const choice = await vscode.window.showWarningMessage(
    'PyML: SQL queries run in DuckDB, which is not shipped with the extension (about 70 MB). Install it now? The query runs as soon as it is installed.',
    install,
  );
  if (choice !== install) return false;
  const { installDuckDb } = await import('../batchUi/duckDbInstall');
  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'PyML: installing DuckDB (npm)…', cancellable: true },
    (_progress, token) => installDuckDb(err.installDir, token),
  );
  if (!outcome.ok) {
    await ctx.log.explain(
      new UserError(`DuckDB was not installed: ${outcome.why}. Install it by hand with: ${batch.installCommand(err.installDir)}`, { severity: 'warning', cause: err }),
    );
    return false;
  }
  ctx.log.info(`Batch: DuckDB installed in ${err.installDir}`);
  return true;
}

// ---- running ---------------------------------------------------------------------------------

async function runRequest(ctx: Ctx, batch: BatchModule, request: BatchRequest): Promise<void> {
  const started = Date.now();
  const { loadManifest } = await import('../model/manifest');
  let manifest: Manifest;
  let source: Source | undefined;
  try {
    manifest = await loadManifest(request.folder);
    if (!batch.outputFormatOf(request.output)) throw new UserError(`${request.output}: write .parquet, .csv or .arrow (the format follows the extension)`);
    source = await openInput(ctx, batch, request.input);
  } catch (err) {
    void ctx.log.explain(err, { summary: 'batch prediction failed', folder: request.folder });
    return;
  }
  if (!source) return;
  await memoryOf(ctx).remember(request);
  let outcome: Batch.BatchResult | undefined;
  try {
    outcome = await predict(ctx, batch, request, manifest, source);
  } catch (err) {
    // A failed build offers Show Problems, a model exception its line, as everywhere else.
    void ctx.log.explain(err, { summary: 'batch prediction failed', folder: request.folder });
    return;
  } finally {
    await source.close();
  }
  if (!outcome) {
    ctx.log.info('Batch: cancelled before any row was sent');
    return;
  }
  // From here on the run has succeeded, whatever the user does with the notification.
  ctx.log.info(`Batch: wrote ${outcome.rows} rows in ${outcome.batches} batches (${outcome.bytes} bytes) to ${outcome.output}; predicting took ${outcome.elapsedMs.toFixed(0)} ms`);
  await reportDone(
    ctx,
    { output: outcome.output, format: batch.outputFormatOf(outcome.output) ?? '', rows: outcome.rows, totalMs: Date.now() - started, predictMs: outcome.elapsedMs },
    () => runRequest(ctx, batch, request),
  );
}

/** Builds, starts a container, streams the rows through it; undefined when cancelled before a row was sent. */
async function predict(ctx: Ctx, batch: BatchModule, request: BatchRequest, manifest: Manifest, source: Source): Promise<Batch.BatchResult | undefined> {
  const format = batch.outputFormatOf(request.output);
  if (!format) throw new Error(`${request.output}: write .parquet, .csv or .arrow (the format follows the extension)`);
  const log = ctx.log;
  const plan = batch.checkInput(manifest, source.fields, request.keys ?? []);
  const manager = await ctx.containerManager.get();
  if (!(await dockerOrExplain(ctx, manager))) return undefined;
  await fs.mkdir(path.dirname(request.output), { recursive: true });
  const rowsPerBatch = batch.rowsPerBatchFor(request.rowsPerBatch ?? ctx.config.rowsPerBatch, plan.inputs);
  const title = `PyML: batch prediction with ${manifest.name}`;
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const abort = new AbortController();
    const onCancel = token.onCancellationRequested(() => {
      abort.abort();
    });
    let reported = 0;
    let lastReport = 0;
    const onProgress = (p: Batch.BatchProgress): void => {
      const now = Date.now();
      if (now - lastReport < 200 && p.fraction !== 1) return;
      lastReport = now;
      const fraction = p.fraction ?? (p.totalRows ? p.rowsDone / p.totalRows : undefined);
      const increment = fraction === undefined ? undefined : Math.max(0, fraction * 100 - reported);
      if (increment !== undefined) reported += increment;
      progress.report({ message: progressText(p), ...(increment !== undefined ? { increment } : {}) });
    };
    const run = (predictor: Parameters<BatchModule['runBatch']>[0]['predictor']): Promise<Batch.BatchResult> =>
      batch.runBatch({ model: manifest, source, plan, predictor, output: request.output, format, rowsPerBatch, inFlight: ctx.config.requestsInFlight, signal: abort.signal, onProgress });
    let model: Awaited<ReturnType<BatchModule['startBatchContainer']>> | undefined;
    try {
      // A model being debugged takes the batch's rows itself, so they stop at its breakpoints.
      const debugged = manager.model(request.folder);
      if (debugged && debugged.status !== 'exited' && ctx.debugState.isAttached(debugged.container.info.address)) {
        log.info(`Batch: ${source.description} -> ${request.output} through the debug container ${debugged.container.info.name}`);
        return await run(batch.containerPredictor(debugged.container, DEBUG_REQUEST_TIMEOUT_MS));
      }
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
      // A file input is read, sent and written in a batch thread (src/batch/thread): the extension host
      // stays responsive, and the run's memory is its own. DuckDB runs a query on threads of its own.
      const file = 'file' in request.input ? request.input.file : undefined;
      log.info(`Batch: ${source.description} -> ${request.output} through ${built.tag} (${model.info.name}), ${rowsPerBatch} rows per batch${file !== undefined ? ', in a batch thread' : ''}`);
      progress.report({ message: 'sending the rows…' });
      const requestTimeoutMs = ctx.config.predictTimeoutSeconds * 1000;
      if (file === undefined) return await run(batch.containerPredictor(model, requestTimeoutMs));
      return await batch.runInContainerThread(
        model,
        { input: { kind: 'file', path: file }, model: manifest, keys: request.keys ?? [], output: request.output, format, rowsPerBatch, inFlight: ctx.config.requestsInFlight, requestTimeoutMs },
        { script: path.join(ctx.extension.extensionPath, 'dist', 'batchThread.js'), signal: abort.signal, onProgress },
      );
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
}
