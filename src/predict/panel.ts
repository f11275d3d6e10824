/**
 * The test-prediction panel: one webview panel at a time, created or revealed by the command,
 * revived after a window reload by its serializer. The webview loads dist/webview.js under a CSP of
 * `default-src 'none'` with a fresh nonce per load, and may read only dist/ and media/.
 * Everything but the editor glue lives in PanelSession (session.ts).
 */
import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { DEBUG_REQUEST_TIMEOUT_MS } from '../debug/state';
import { loadManifest, MANIFEST_FILE } from '../model/manifest';
import { webviewState } from '../shared/panelMessages';
import { INPUT_FILE_EXTENSIONS } from './files';
import { EXAMPLE_SAMPLE, saveSample, SAMPLES_DIR } from './samples';
import { followModel, type TrackedModel } from './modelState';
import { panelHtml } from './html';
import { PANEL_VIEW_TYPE, RECENT_ADDRESSES_KEY } from './panelIds';
import { PanelSession, type PanelHost } from './session';
import { addressTarget, containerTargets, type TargetEntry } from './targets';


/** What the command accepts: nothing, an address string, {address, model}, or a model folder (CodeLens, tree item). */
export interface OpenArgs {
  readonly address?: string;
  readonly model?: string;
  /** The model folder the panel was opened for (the Test CodeLens, the Models view). */
  readonly folder?: string;
}

export class PredictPanel implements vscode.Disposable {
  private static current: PredictPanel | undefined;
  readonly session: PanelSession;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;
  /** A model folder the panel was opened for while its model did not run: connect when it starts. */
  private runFolder: string | undefined;
  private following: Promise<void> = Promise.resolve();

  /** Shows the panel (creating it when needed) and connects to `args` when given. */
  static async createOrShow(ctx: Ctx, args: OpenArgs = {}): Promise<PredictPanel> {
    const column = vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
    let panel = PredictPanel.current;
    if (panel) {
      panel.panel.reveal(column);
    } else {
      const webviewPanel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, 'PyML: Test Prediction', column, webviewOptions(ctx));
      panel = new PredictPanel(ctx, webviewPanel);
    }
    await panel.connectFor(args);
    return panel;
  }

  /**
   * Connects as the user means it: to an address given; else to the running container of the model
   * folder given; else, when nothing is connected, to the only running model. A folder whose model
   * does not run says so, with Run Model.
   */
  private async connectFor(args: OpenArgs): Promise<void> {
    const session = this.session;
    if (args.address) {
      await session.connect(undefined, args.address, args.model);
      return;
    }
    const targets = await session.refreshTargets().catch(() => [] as readonly TargetEntry[]);
    if (args.folder) {
      const folder = path.resolve(args.folder);
      const target = targets.find((t) => t.folder !== undefined && path.resolve(t.folder) === folder);
      if (target) {
        if (session.currentTarget?.address !== target.address || !session.connection) await session.connect(target.id, undefined, undefined);
        return;
      }
      const name = await loadManifest(folder).then((m) => m.name, () => path.basename(folder));
      this.runFolder = folder;
      session.notice('warn', `${name} is not running: run it (Run Model) to send requests to it.`);
      session.setModelState({ state: 'stopped', text: `${name} is not running: run it to send requests.` });
      return;
    }
    const only = targets.length === 1 ? targets[0] : undefined;
    if (!session.currentTarget && only?.kind === 'container') await session.connect(only.id, undefined, undefined);
  }

  /** The connected model's container changed (or any did): follow it, and connect to a lone model when idle. */
  private async followModels(): Promise<void> {
    const manager = this.ctx.containerManager.peek();
    if (!manager || this.disposed) return;
    const session = this.session;
    const models: TrackedModel[] = manager.models().map((m) => ({
      folder: m.folder,
      address: m.container.info.address,
      modelName: m.container.info.modelName,
      status: m.status,
      ...(m.detail !== undefined ? { detail: m.detail } : {}),
    }));
    const targets = await session.refreshTargets().catch(() => [] as readonly TargetEntry[]);
    const target = session.currentTarget;
    if (!target) {
      const wanted = this.runFolder;
      const pick = wanted ? targets.find((t) => t.folder !== undefined && path.resolve(t.folder) === wanted) : targets.length === 1 ? targets[0] : undefined;
      if (pick?.kind === 'container') {
        this.runFolder = undefined;
        await session.connect(pick.id, undefined, undefined);
      }
      return;
    }
    const previous = session.modelState;
    const next = followModel(models, this.runFolder && !target.folder ? { ...target, folder: this.runFolder } : target, previous);
    if (!next) return;
    const serving = next.state.state === 'running' || next.state.state === 'reloaded';
    const back = previous?.state === 'stopped' || previous?.state === 'starting' || !session.connection;
    if (serving && next.model && (next.model.address !== target.address || back)) {
      // A restarted container (maybe at a new address), or the model started after the panel said it was not running.
      const entry = targets.find((t) => t.address === next.model?.address);
      await session.connect(entry?.id, entry ? undefined : next.model.address, next.model.modelName);
      this.runFolder = undefined;
    }
    session.setModelState(next.state);
  }

  /** Called by the serializer after a window reload; reconnects to the target it had. */
  static revive(ctx: Ctx, webviewPanel: vscode.WebviewPanel, state: unknown): void {
    webviewPanel.webview.options = webviewOptions(ctx);
    const panel = new PredictPanel(ctx, webviewPanel);
    const checked = webviewState.check(state ?? {}, 'state');
    if (checked.ok && checked.value.address) {
      void panel.session.connect(undefined, checked.value.address, checked.value.model);
    }
  }

  /** The open panel, for tests and commands. */
  static get instance(): PredictPanel | undefined {
    return PredictPanel.current;
  }

  private constructor(
    private readonly ctx: Ctx,
    private readonly panel: vscode.WebviewPanel,
  ) {
    PredictPanel.current = this;
    this.session = new PanelSession(this.host());
    panel.iconPath = vscode.Uri.file(ctx.asAbsolutePath(path.join('media', 'pyml.svg')));
    panel.webview.html = html(panel.webview, ctx, nonce());
    this.disposables.push(
      panel.onDidDispose(() => {
        this.dispose();
      }),
      panel.webview.onDidReceiveMessage((raw: unknown) => this.session.receive(raw)),
    );
    const paused = ctx.debugState.onDidChange((info) => {
      if (info.address !== this.session.connection?.address || !this.session.busy) return;
      if (info.paused) this.session.notice('info', `Paused in the debugger (${info.reason ?? 'breakpoint'}): the request waits. Continue in the editor (F5) to get the answer.`);
      else this.session.notice('info', 'The debugger continued: waiting for the answer.');
    });
    this.disposables.push(new vscode.Disposable(() => {
      paused.dispose();
    }));
    // Follow the model containers: Stop, Restart, dev-mode reloads, a model started or stopped elsewhere.
    void ctx.containerManager.get().then((manager) => {
      if (this.disposed) return;
      const changed = manager.onDidChange(() => {
        this.follow();
      });
      this.disposables.push(changed);
      this.follow();
    }, () => undefined);
  }

  /** Follows the models one change at a time (changes come in bursts). */
  private follow(): void {
    this.following = this.following.then(() => this.followModels()).catch((err: unknown) => {
      this.ctx.log.warn(`PyML panel: following the model containers failed: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (PredictPanel.current === this) PredictPanel.current = undefined;
    this.session.dispose();
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private host(): PanelHost {
    const ctx = this.ctx;
    const recent = (): string[] => ctx.extension.workspaceState.get<string[]>(RECENT_ADDRESSES_KEY, []);
    return {
      post: (message) => {
        void this.panel.webview.postMessage(message);
      },
      log: {
        info: (m) => {
          ctx.log.info(m);
        },
        warn: (m) => {
          ctx.log.warn(m);
        },
        error: (m) => {
          ctx.log.error(m);
        },
      },
      listTargets: async () => {
        const list = await containerTargets(await ctx.containerManager.get());
        const known = new Set(list.targets.map((t) => t.address));
        const extra: TargetEntry[] = [];
        for (const address of recent()) {
          if (known.has(address)) continue;
          try {
            extra.push({ ...addressTarget(address), detail: 'recently used address' });
          } catch {
            // A stored address that no longer parses is skipped.
          }
        }
        return { targets: [...list.targets, ...extra], ...(list.note ? { note: list.note } : {}) };
      },
      pickInputFile: async () => {
        const picked = await vscode.window.showOpenDialog({
          canSelectMany: false,
          openLabel: 'Load input',
          filters: { 'Tables and arrays': INPUT_FILE_EXTENSIONS, 'All files': ['*'] },
        });
        return picked?.[0]?.fsPath;
      },
      openFile: async (file, line) => {
        const at = new vscode.Position(Math.max(0, line - 1), 0);
        await vscode.window.showTextDocument(vscode.Uri.file(file), {
          viewColumn: vscode.ViewColumn.One,
          selection: new vscode.Range(at, at),
          preview: false,
        });
      },
      copy: async (text) => {
        await vscode.env.clipboard.writeText(text);
      },
      modelFolder: (model, target) => modelFolder(model, target),
      writeSample: (folder, name, json) => saveSample(folder, name, json),
      settings: (address) => ({
        protoPath: ctx.asAbsolutePath(path.join('runtime', 'pyml', 'proto', 'grpc_predict_v2.proto')),
        maxMessageBytes: ctx.config.maxMessageMB * 2 ** 20,
        // A request held at a breakpoint must not time out while the debugger is attached.
        timeoutMs: address !== undefined && ctx.debugState.isAttached(address) ? DEBUG_REQUEST_TIMEOUT_MS : ctx.config.predictTimeoutSeconds * 1000,
      }),
      onConnected: (address) => {
        const list = [address, ...recent().filter((a) => a !== address)].slice(0, 10);
        void ctx.extension.workspaceState.update(RECENT_ADDRESSES_KEY, list);
        this.follow();
      },
      modelSample: (folder) => modelSample(folder),
      runModel: async (folder) => {
        const target = folder ?? this.runFolder;
        await vscode.commands.executeCommand('pyml.runModel', ...(target ? [vscode.Uri.file(target)] : []));
      },
    };
  }
}

/** Opens the panel; `arg` may be an address string or {address, model} (tree items, tests). */
export async function openPanel(ctx: Ctx, arg?: unknown): Promise<void> {
  await PredictPanel.createOrShow(ctx, openArgs(arg));
}

export function openArgs(arg: unknown): OpenArgs {
  if (typeof arg === 'string') return { address: arg };
  if (arg instanceof vscode.Uri) return arg.scheme === 'file' ? { folder: modelFolderOf(arg.fsPath) } : {};
  if (typeof arg !== 'object' || arg === null) return {};
  const r = arg as Record<string, unknown>;
  // A Models view item: a model folder ({manifest: Uri}) or one of its containers ({folder, container}).
  if (r['manifest'] instanceof vscode.Uri) return { folder: path.dirname(r['manifest'].fsPath) };
  if (typeof r['folder'] === 'string' && r['kind'] === 'container') return { folder: r['folder'] };
  return {
    ...(typeof r['address'] === 'string' ? { address: r['address'] } : {}),
    ...(typeof r['model'] === 'string' ? { model: r['model'] } : {}),
    ...(typeof r['folder'] === 'string' ? { folder: r['folder'] } : {}),
  };
}

/** The model folder of a path the CodeLens gives: the folder itself, or the folder of a file in it. */
function modelFolderOf(p: string): string {
  return /\.(py|ya?ml|json|txt)$/i.test(p) ? path.dirname(p) : p;
}

/** The sample the panel shows first for a model folder: samples/example.json, else its first sample. */
async function modelSample(folder: string): Promise<string | undefined> {
  const dir = path.join(folder, SAMPLES_DIR);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const samples = names.filter((n) => n.endsWith('.json')).sort();
  const pick = samples.includes(EXAMPLE_SAMPLE) ? EXAMPLE_SAMPLE : samples[0];
  return pick ? path.join(dir, pick) : undefined;
}

function webviewOptions(ctx: Ctx): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    retainContextWhenHidden: true,
    localResourceRoots: [vscode.Uri.file(ctx.asAbsolutePath('dist')), vscode.Uri.file(ctx.asAbsolutePath('media'))],
  };
}

function nonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

export function html(webview: vscode.Webview, ctx: Ctx, n: string): string {
  const script = webview.asWebviewUri(vscode.Uri.file(ctx.asAbsolutePath(path.join('dist', 'webview.js'))));
  const css = webview.asWebviewUri(vscode.Uri.file(ctx.asAbsolutePath(path.join('media', 'predict', 'panel.css'))));
  return panelHtml({ cspSource: webview.cspSource, nonce: n, script: script.toString(), css: css.toString() });
}

/** The host folder of a model: the container's label, else a workspace folder whose pyml.yaml names it. */
async function modelFolder(model: string, target: TargetEntry | undefined): Promise<string | undefined> {
  if (target?.folder) return target.folder;
  const manifests = await vscode.workspace.findFiles(`**/${MANIFEST_FILE}`, '**/node_modules/**', 200);
  for (const uri of manifests) {
    const folder = path.dirname(uri.fsPath);
    try {
      const manifest = await loadManifest(folder);
      if (manifest.name === model) return folder;
    } catch {
      // A broken manifest is reported by the language server; it names no model here.
    }
  }
  return undefined;
}
