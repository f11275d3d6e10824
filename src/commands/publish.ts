/**
 * PyML: Publish Image — builds the model's image when it is stale (as Run does), pushes it to the
 * `pyml.registry` registry under its version and its content digest with the credentials of Docker's
 * own config, shows layer and byte progress, and offers to copy the pushed reference. The reference
 * is remembered per model (registry/lastPublished.ts) for an existing cluster's workers.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { loadManifest } from '../model/manifest';
import { CredentialHelperError } from '../registry/credentialHelper';
import { DockerConfigError, registryCredentials } from '../registry/dockerConfig';
import { rememberPublished } from '../registry/lastPublished';
import { publishImage, type PublishedImage } from '../registry/publish';
import { describeProgress } from '../registry/pushLog';
import { parseRegistry, repositoryOf, type RegistryTarget } from '../registry/reference';
import { PublishError } from '../registry/registryErrors';
import { SHOW_LOGS, UserError, type UserAction } from '../userError';
import { dockerOrExplain } from './docker';
import { resolveModelFolder } from './modelFolder';
import { withModelProgress } from './progress';

export const PUBLISH_COMMAND = 'pyml.publishImage';
const REGISTRY_SETTING = 'pyml.registry';

export async function publishCommand(ctx: Ctx, arg?: unknown): Promise<void> {
  const folder = await resolveModelFolder(arg, 'publish');
  if (!folder) return;
  const target = await registryTarget(ctx);
  if (!target) return;
  const manager = await ctx.containerManager.get();
  const engine = await dockerOrExplain(ctx, manager);
  if (!engine) return;
  const manifest = await loadManifest(folder);
  const repository = repositoryOf(target, manifest.name);
  const log = ctx.log;
  const published = await withModelProgress(`Publishing ${path.basename(folder)}`, async (progress, token) => {
    const built = await manager.build(folder, progress, token);
    if (!built || token.isCancellationRequested) return undefined;
    progress.report(`reading credentials for ${target.host}`);
    const credentials = await registryCredentials(target.host).catch((err: unknown) => {
      throw credentialFailure(err);
    });
    log.info(`Publishing ${built.tag} (${built.imageId.slice(7, 19)}) to ${repository}: credentials from ${credentials.source}`);
    const abort = new AbortController();
    const cancel = token.onCancellationRequested(() => {
      abort.abort();
    });
    let shown = 0;
    try {
      return await publishImage(engine, {
        imageId: built.imageId,
        repository,
        host: target.host,
        version: manifest.version,
        credentials,
        signal: abort.signal,
        onLine: (line) => {
          log.info(line);
        },
        onProgress: (p, tag) => {
          // The notification's bar follows the bytes of the first push (the second finds every layer there).
          const percent = p.bytesTotal > 0 ? Math.floor((p.bytesSent / p.bytesTotal) * 100) : 0;
          const increment = percent > shown ? percent - shown : undefined;
          if (increment !== undefined) shown = percent;
          progress.report(`pushing :${tag.slice(0, 19)}: ${describeProgress(p)}`, increment);
        },
      });
    } catch (err) {
      throw publishFailure(err, folder, target);
    } finally {
      cancel.dispose();
    }
  });
  if (!published) return;
  await rememberPublished(ctx.extension.workspaceState, {
    model: manifest.name,
    version: manifest.version,
    reference: published.reference,
    repository: published.repository,
    manifestDigest: published.manifestDigest,
    imageId: published.imageId,
    tags: published.tags,
    folder,
    publishedAt: new Date().toISOString(),
  });
  log.info(`Published ${manifest.name} ${manifest.version}: ${published.reference} (tags ${published.tags.join(', ')}; image id ${published.imageId})`);
  void offerCopy(published);
}

/** The parsed pyml.registry; asks for it (and saves it to the workspace settings) when it is unset. */
async function registryTarget(ctx: Ctx): Promise<RegistryTarget | undefined> {
  const setting = ctx.config.registry;
  if (setting) {
    try {
      return parseRegistry(setting);
    } catch (err) {
      throw new UserError((err as Error).message, { actions: [{ kind: 'openSettings', setting: REGISTRY_SETTING }] });
    }
  }
  const entered = await vscode.window.showInputBox({
    title: 'PyML: Publish Image',
    prompt: 'The registry and path to publish model images to (saved as pyml.registry in this workspace)',
    placeHolder: 'registry.example.com/team',
    ignoreFocusOut: true,
    validateInput: (value) => {
      try {
        parseRegistry(value);
        return undefined;
      } catch (err) {
        return (err as Error).message;
      }
    },
  });
  if (!entered) return undefined;
  await vscode.workspace.getConfiguration('pyml').update('registry', entered.trim(), vscode.ConfigurationTarget.Workspace);
  return parseRegistry(entered);
}

async function offerCopy(published: PublishedImage): Promise<void> {
  const copyReference = 'Copy Reference';
  const copyTag = 'Copy Version Tag';
  const versionRef = published.tags[0] ?? published.reference;
  const choice = await vscode.window.showInformationMessage(
    `PyML: published ${published.reference} (also tagged :${published.version} and :${published.tags[1]?.split(':').pop() ?? ''}).`,
    copyReference,
    copyTag,
  );
  if (choice === copyReference) await vscode.env.clipboard.writeText(published.reference);
  if (choice === copyTag) await vscode.env.clipboard.writeText(versionRef);
}

function credentialFailure(err: unknown): unknown {
  if (err instanceof DockerConfigError || err instanceof CredentialHelperError) {
    return new UserError(`Publish Image cannot read the registry credentials: ${err.message}`, { actions: [SHOW_LOGS], cause: err });
  }
  return err;
}

/** One message a failure, with the way out: log in, fix the setting, or publish again. */
function publishFailure(err: unknown, folder: string, target: RegistryTarget): unknown {
  if (!(err instanceof PublishError)) return err;
  const again: UserAction = { kind: 'command', command: PUBLISH_COMMAND, label: 'Publish Again', args: [folder] };
  const settings: UserAction = { kind: 'openSettings', setting: REGISTRY_SETTING };
  const login: UserAction = { kind: 'runInTerminal', label: 'Log In…', terminal: 'PyML: docker login', text: `docker login ${target.host}` };
  switch (err.failure) {
    case 'cancelled':
      return new UserError(err.message, { severity: 'info', cause: err });
    case 'auth':
      return new UserError(err.message, { actions: [login, settings, SHOW_LOGS], cause: err });
    case 'unreachable':
      return new UserError(err.message, { actions: [settings, SHOW_LOGS], cause: err });
    case 'interrupted':
      return new UserError(err.message, { actions: [again, SHOW_LOGS], cause: err });
    case 'refused':
      return new UserError(err.message, { actions: [settings, SHOW_LOGS], cause: err });
  }
}
