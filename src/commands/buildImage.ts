/**
 * PyML: Build Image — the model folder's image, with step progress in words, cancel, and problems on
 * failure; PyML: Show Build Log — the last build's own log (the success and failure messages offer it).
 */
import * as path from 'path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { transcriptText } from '../container/buildLog';
import { dockerOrExplain } from './docker';
import { resolveModelFolder } from './modelFolder';
import { withModelProgress } from './progress';

const SHOW_LOG = 'Show Log';

/** A failed build reaches the command table, whose explanation offers Show Problems and Show Log. */
export async function buildCommand(ctx: Ctx, arg?: unknown): Promise<void> {
  const folder = await resolveModelFolder(arg, 'build');
  if (!folder) return;
  const manager = await ctx.containerManager.get();
  if (!(await dockerOrExplain(ctx, manager))) return;
  const result = await withModelProgress(`Building ${path.basename(folder)}`, (progress, token) => manager.build(folder, progress, token));
  if (result) {
    const data = result.dataImage ? `; data ${result.dataImage.built ? 'copied into a new data layer' : 'unchanged'}` : '';
    const choice = await vscode.window.showInformationMessage(
      `PyML: built ${result.tag} (${result.cachedSteps.length} of ${result.steps.length} steps from the cache${data}).`,
      SHOW_LOG,
    );
    if (choice === SHOW_LOG) await showBuildLogCommand(ctx, folder);
  }
}

/** PyML: Remove Old Images — a model's untagged images from earlier builds, except those a container uses. */
export async function removeOldImagesCommand(ctx: Ctx, arg?: unknown): Promise<void> {
  const folder = await resolveModelFolder(arg, 'remove the old images of');
  if (!folder) return;
  const manager = await ctx.containerManager.get();
  if (!(await dockerOrExplain(ctx, manager))) return;
  const result = await manager.removeOldImages(folder);
  const name = path.basename(folder);
  const kept = result.inUse > 0 ? `; kept ${result.inUse} that a container uses` : '';
  ctx.log.info(`Removed ${result.removed} old image(s) of ${folder}${kept}${result.failed.length > 0 ? `; could not remove: ${result.failed.join('; ')}` : ''}`);
  const message =
    result.removed === 0 && result.inUse === 0 && result.failed.length === 0
      ? `PyML: ${name} has no older images.`
      : `PyML: removed ${result.removed} older image${result.removed === 1 ? '' : 's'} of ${name}${kept}${result.failed.length > 0 ? `; ${result.failed.length} could not be removed (see the log)` : ''}.`;
  void vscode.window.showInformationMessage(message);
}

/** The scheme of the read-only documents that show a build's own log. */
const SCHEME = 'pyml-build-log';
const providers = new WeakMap<Ctx, BuildLogDocuments>();

/** PyML: Show Build Log — opens the last build of a model folder in this window, as a read-only document. */
export async function showBuildLogCommand(ctx: Ctx, arg?: unknown): Promise<void> {
  const folder = await resolveModelFolder(arg, 'show the build log of');
  if (!folder) return;
  const transcript = (await ctx.containerManager.get()).buildTranscript(folder);
  if (!transcript) {
    void vscode.window.showInformationMessage(`PyML: ${path.basename(folder)} has not been built in this window yet. Build Image builds it.`);
    return;
  }
  let documents = providers.get(ctx);
  if (!documents) {
    documents = ctx.own(new BuildLogDocuments(ctx));
    providers.set(ctx, documents);
  }
  const uri = vscode.Uri.from({ scheme: SCHEME, path: `/${path.basename(folder)} build.log`, query: folder });
  documents.refresh(uri);
  const document = await vscode.languages.setTextDocumentLanguage(await vscode.workspace.openTextDocument(uri), 'pyml-log');
  await vscode.window.showTextDocument(document, { preview: false });
}

/** Read-only documents of build logs, read from the container manager each time they are shown. */
class BuildLogDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly registration: vscode.Disposable;

  constructor(private readonly ctx: Ctx) {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(SCHEME, this);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const transcript = this.ctx.containerManager.peek()?.buildTranscript(uri.query);
    return transcript ? transcriptText(transcript) : `No build of ${uri.query} in this window.`;
  }

  refresh(uri: vscode.Uri): void {
    this.changed.fire(uri);
  }

  dispose(): void {
    this.registration.dispose();
    this.changed.dispose();
  }
}
