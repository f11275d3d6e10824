/**
 * The cluster step of PyML: Run Batch Prediction: where to run (this machine, a local cluster, an
 * existing cluster), then for a cluster the input (a folder, files, a glob, or a SQL query run by
 * DuckDB here), the key and partition columns and the dataset folder; the model's image is built
 * (from the cache when unchanged) and the job runs with a progress notification (partitions done /
 * total, rows/s, workers alive) that can cancel. Called from commands/batch.ts.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { dockerOrExplain } from '../commands/docker';
import { resolveModelFolder } from '../commands/modelFolder';
import type { Ctx } from '../ctx';
import { ClusterError } from './clusterErrors';
import { runClusterJob, type ClusterProgress, type Where } from './job';
import { readClusterSettings } from './settings';

/** What Run Batch Prediction runs on a cluster; also the argument tests and other commands may pass. */
export interface ClusterBatchRequest {
  readonly folder: string;
  readonly where: 'local' | 'existing';
  readonly input: { readonly paths: readonly string[] } | { readonly sql: string; readonly cwd?: string };
  /** The dataset folder to create. */
  readonly output: string;
  readonly keys?: readonly string[];
  readonly partitionBy?: readonly string[];
  /** Split every input file into this many byte ranges (default: by pyml.cluster.partitionMB). */
  readonly partitions?: number;
  readonly rowsPerBatch?: number;
}

export function isClusterRequest(arg: unknown): arg is ClusterBatchRequest {
  if (typeof arg !== 'object' || arg === null) return false;
  const r = arg as Record<string, unknown>;
  return (r['where'] === 'local' || r['where'] === 'existing') && typeof r['folder'] === 'string' && typeof r['output'] === 'string' && typeof r['input'] === 'object';
}

/** "Where should the rows be predicted?" — undefined when dismissed. */
export async function askWhere(): Promise<'machine' | 'local' | 'existing' | undefined> {
  const settings = readClusterSettings();
  type Item = vscode.QuickPickItem & { where: 'machine' | 'local' | 'existing' };
  const items: Item[] = [
    { label: '$(vm) This machine', description: 'one container of the model image, rows streamed through it', where: 'machine' },
    {
      label: '$(server-environment) A local Dask cluster',
      description: `${settings.workers} worker container${settings.workers === 1 ? '' : 's'} × ${settings.threadsPerWorker} thread${settings.threadsPerWorker === 1 ? '' : 's'} of the model image (pyml.cluster.workers)`,
      where: 'local',
    },
    {
      label: '$(cloud) An existing Dask cluster',
      description: settings.schedulerAddress || 'set pyml.cluster.schedulerAddress',
      where: 'existing',
    },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'PyML: Run Batch Prediction — where to run' });
  return picked?.where;
}

/** Asks the cluster job's input, columns and output, then runs it. */
export async function askAndRunClusterBatch(ctx: Ctx, where: 'local' | 'existing', arg: unknown): Promise<void> {
  let request: ClusterBatchRequest | undefined;
  try {
    const folder = await resolveModelFolder(arg, 'run a batch prediction with');
    if (!folder) return;
    const { loadManifest } = await import('../model/manifest');
    const manifest = await loadManifest(folder);
    const cwd = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(folder))?.uri.fsPath ?? folder;
    const input = await askInput(cwd);
    if (!input) return;
    const header = 'paths' in input ? await firstHeader(input.paths) : undefined;
    const keys = await askColumns('columns to carry through next to the outputs (keys), comma-separated; none is fine', header, manifest.outputs.map((o) => o.name));
    if (keys === undefined) return;
    const partitionBy = await askColumns('partition columns: their values name key=value/ sub-folders of the dataset; none is fine', header, []);
    if (partitionBy === undefined) return;
    // Next to the input: a glob's folder, a folder's parent, a file's folder.
    const first = 'paths' in input ? (input.paths[0] ?? cwd) : path.join(cwd, manifest.name);
    const near = /[*?[]/.test(first) ? first.slice(0, first.search(/[*?[]/)).replace(/[\\/][^\\/]*$/, '') : first;
    const base = path.basename(near).replace(/\.[^.]+$/, '');
    const picked = await vscode.window.showSaveDialog({
      title: 'PyML: the dataset folder to create (one part file per partition, and _SUCCESS)',
      defaultUri: vscode.Uri.file(path.join(path.dirname(near), `${base}.${manifest.name}-predictions`)),
    });
    if (!picked) return;
    request = { folder, where, input, output: picked.fsPath, keys, partitionBy, rowsPerBatch: ctx.config.rowsPerBatch };
  } catch (err) {
    void ctx.log.explain(err, { summary: 'batch prediction failed' });
    return;
  }
  await runClusterBatch(ctx, request);
}

async function askInput(cwd: string): Promise<ClusterBatchRequest['input'] | undefined> {
  type Item = vscode.QuickPickItem & { kind2: 'folder' | 'files' | 'glob' | 'sql' };
  const picked = await vscode.window.showQuickPick<Item>(
    [
      { label: '$(folder) A folder', description: 'every CSV / JSON lines file in it is a partition (large ones are split)', kind2: 'folder' },
      { label: '$(files) Files', description: 'CSV or JSON lines; large files are split by byte ranges', kind2: 'files' },
      { label: '$(regex) A glob pattern', description: 'e.g. data/2026-*.csv', kind2: 'glob' },
      { label: '$(database) A SQL query over local files', description: 'DuckDB runs it on this machine into the job folder first', kind2: 'sql' },
    ],
    { title: 'PyML: the rows to predict on the cluster (paths must be visible to the workers)' },
  );
  if (!picked) return undefined;
  if (picked.kind2 === 'sql') {
    const sql = await vscode.window.showInputBox({ title: 'PyML: SQL query over local files (DuckDB, on this machine)', prompt: `Relative paths start at ${cwd}`, ignoreFocusOut: true });
    return sql?.trim() ? { sql: sql.trim(), cwd } : undefined;
  }
  if (picked.kind2 === 'glob') {
    const glob = await vscode.window.showInputBox({ title: 'PyML: a glob of CSV / JSON lines files', prompt: `Relative to ${cwd}`, placeHolder: 'data/*.csv', ignoreFocusOut: true });
    return glob?.trim() ? { paths: [path.resolve(cwd, glob.trim())] } : undefined;
  }
  const uris = await vscode.window.showOpenDialog({
    title: 'PyML: the rows to predict',
    canSelectFiles: picked.kind2 === 'files',
    canSelectFolders: picked.kind2 === 'folder',
    canSelectMany: picked.kind2 === 'files',
    defaultUri: vscode.Uri.file(cwd),
    ...(picked.kind2 === 'files' ? { filters: { 'CSV, JSON lines': ['csv', 'tsv', 'jsonl', 'ndjson', 'json'] } } : {}),
  });
  return uris?.length ? { paths: uris.map((u) => u.fsPath) } : undefined;
}

async function firstHeader(paths: readonly string[]): Promise<string[] | undefined> {
  let file = paths[0];
  if (!file) return undefined;
  try {
    if ((await fs.stat(file)).isDirectory()) {
      const names = (await fs.readdir(file)).filter((n) => /\.(csv|tsv)$/i.test(n)).sort();
      if (!names[0]) return undefined;
      file = path.join(file, names[0]);
    }
    if (!/\.(csv|tsv)$/i.test(file)) return undefined;
    const handle = await fs.open(file, 'r');
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, 0);
      const line = buffer.subarray(0, bytesRead).toString('utf8').split(/\r?\n/)[0] ?? '';
      return line.split(file.toLowerCase().endsWith('.tsv') ? '\t' : ',').map((c) => c.trim().replace(/^"|"$/g, ''));
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

async function askColumns(title: string, header: readonly string[] | undefined, exclude: readonly string[]): Promise<string[] | undefined> {
  const available = header?.filter((c) => !exclude.includes(c));
  const text = await vscode.window.showInputBox({
    title: `PyML: ${title}`,
    ...(available ? { prompt: `The input has: ${available.join(', ')}` } : {}),
    placeHolder: available?.[0] ?? 'id',
    validateInput: (v) => {
      const names = v.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = available ? names.filter((n) => !available.includes(n)) : [];
      return unknown.length ? `The input has no column ${unknown.map((n) => `'${n}'`).join(', ')}` : undefined;
    },
  });
  return text === undefined ? undefined : text.split(',').map((s) => s.trim()).filter(Boolean);
}

/** Folders to mount at the same path: the workspace folders (or the folders) holding the inputs and the output. */
export function sharedFolders(paths: readonly string[]): string[] {
  const roots = paths.map((p) => {
    const ws = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(p));
    return ws ? ws.uri.fsPath : path.dirname(p.replace(/[*?[].*$/, 'x'));
  });
  const unique = [...new Set(roots.map((r) => path.resolve(r)))].sort();
  return unique.filter((r) => !unique.some((o) => o !== r && r.startsWith(o + path.sep)));
}

export function progressText(p: ClusterProgress): string {
  if (p.stage === 'starting') return p.message ?? 'starting';
  const total = p.partitionsTotal === undefined ? '?' : String(p.partitionsTotal);
  const workers = p.workers === undefined ? '' : ` · ${p.workers} worker${p.workers === 1 ? '' : 's'} alive`;
  return `${p.partitionsDone}/${total} partitions · ${p.rows.toLocaleString('en')} rows · ${Math.round(p.rowsPerSecond).toLocaleString('en')} rows/s${workers}`;
}

/** Builds the image and runs the job with a cancellable progress notification. */
export async function runClusterBatch(ctx: Ctx, request: ClusterBatchRequest): Promise<void> {
  const log = ctx.log;
  const settings = readClusterSettings(vscode.Uri.file(request.folder));
  let sqlInput: Awaited<ReturnType<typeof import('./sqlInput').sqlToPartitions>> | undefined;
  try {
    const { loadManifest } = await import('../model/manifest');
    const manifest = await loadManifest(request.folder);
    const output = path.resolve(request.output);
    const where: Where =
      request.where === 'local'
        ? { kind: 'local', workers: settings.workers, threadsPerWorker: settings.threadsPerWorker }
        : {
            kind: 'existing',
            address: settings.schedulerAddress,
            ...(settings.tls.caFile && settings.tls.certFile && settings.tls.keyFile ? { tls: { ca: settings.tls.caFile, cert: settings.tls.certFile, key: settings.tls.keyFile } } : {}),
          };
    if (where.kind === 'existing' && !where.address) {
      throw new ClusterError('No scheduler address: set pyml.cluster.schedulerAddress (e.g. tcp://scheduler:8786) to run on an existing cluster.');
    }
    const manager = await ctx.containerManager.get();
    const engine = await dockerOrExplain(ctx, manager);
    if (!engine) return;
    const title = `PyML: batch prediction with ${manifest.name} on ${where.kind === 'local' ? 'a local Dask cluster' : where.address}`;
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      const abort = new AbortController();
      const onCancel = token.onCancellationRequested(() => {
        abort.abort();
      });
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
        let inputs: readonly string[];
        if ('sql' in request.input) {
          progress.report({ message: 'running the SQL query in DuckDB' });
          const { loadDuckDb } = await import('../batch/duckdb');
          const { sqlToPartitions } = await import('./sqlInput');
          const duckdb = loadDuckDb([ctx.extension.extensionPath, path.join(ctx.extension.globalStorageUri.fsPath, 'duckdb')]);
          sqlInput = await sqlToPartitions(duckdb, request.input.sql, request.input.cwd ?? path.dirname(output), output);
          inputs = [sqlInput.file];
        } else {
          inputs = request.input.paths.map((p) => path.resolve(p));
        }
        log.info(`Cluster batch: ${inputs.join(', ')} -> ${output} with ${built.tag} on ${where.kind === 'local' ? `a local cluster of ${where.workers}` : where.address}`);
        let last = 0;
        let reported = 0;
        return await runClusterJob(engine, {
          where,
          image: built.tag,
          job: {
            inputs,
            output,
            ...(request.keys?.length ? { keys: request.keys } : {}),
            ...(request.partitionBy?.length ? { partitionBy: request.partitionBy } : {}),
            ...(request.partitions ? { partitions: request.partitions } : { partitionBytes: settings.partitionMB * 1024 * 1024 }),
            rowsPerBatch: request.rowsPerBatch ?? ctx.config.rowsPerBatch,
          },
          shared: sharedFolders([...inputs, output, request.folder]),
          signal: abort.signal,
          onLog: (line) => {
            log.info(line);
          },
          onProgress: (p) => {
            const now = Date.now();
            if (now - last < 200 && p.partitionsDone !== p.partitionsTotal) return;
            last = now;
            const fraction = p.partitionsTotal ? p.partitionsDone / p.partitionsTotal : undefined;
            const increment = fraction === undefined ? undefined : Math.max(0, fraction * 100 - reported);
            if (increment !== undefined) reported += increment;
            progress.report({ message: progressText(p), ...(increment ? { increment } : {}) });
          },
        });
      } finally {
        onCancel.dispose();
      }
    });
    if (!result) {
      log.info('Cluster batch: cancelled before the job started');
      return;
    }
    log.info(`Cluster batch: wrote ${result.rows} rows in ${result.partitions} partitions to ${result.output} in ${result.seconds.toFixed(1)} s (${Math.round(result.rows_per_second)} rows/s, ${result.workers} workers)`);
    const reveal = 'Reveal in Explorer';
    void vscode.window
      .showInformationMessage(
        `PyML: wrote ${result.rows.toLocaleString('en')} rows in ${result.partitions} partitions to ${path.basename(result.output)} in ${result.seconds.toFixed(1)} s (${Math.round(result.rows_per_second).toLocaleString('en')} rows/s).`,
        reveal,
      )
      .then(async (choice) => {
        if (choice === reveal) await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(result.output));
      });
  } catch (err) {
    void ctx.log.explain(err, { summary: 'cluster batch prediction failed', folder: request.folder });
  } finally {
    await sqlInput?.remove();
  }
}
