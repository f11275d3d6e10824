/**
 * Publishes a built model image: tags it `<repository>:<version>` and `<repository>:sha256-<image id>`,
 * pushes both through dockerd (dockerode) with the credentials of Docker's own config, reports layer
 * and byte progress, and removes the two local tags again (the image stays under its `pyml/` tag).
 *
 * Which digest names the content: the **image id** (the digest of the image's config, which lists its
 * layers' content digests). It is known before the push, so it can be a tag; `docker inspect` shows the
 * same id on every machine that pulls the image (the cluster's workers report it), and it does not
 * depend on the registry or on how dockerd compressed the layers. The **manifest digest** the registry
 * returns is what pulls by digest take: the result's `reference` is `<repository>@<manifest digest>`.
 */
import type { Engine } from '../container/engine';
import { JsonLines } from '../container/jsonLines';
import type { AuthConfig, RegistryCredentials } from './dockerConfig';
import { PushLog, type PushProgress } from './pushLog';
import { digestTag, versionTag } from './reference';
import { explainPushFailure, PublishError } from './registryErrors';

export interface PublishRequest {
  /** The built image (`sha256:...`). */
  readonly imageId: string;
  /** `registry.example.com/team/churn`. */
  readonly repository: string;
  /** The registry host of the repository. */
  readonly host: string;
  /** The manifest's version. */
  readonly version: string;
  readonly credentials: RegistryCredentials;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: PushProgress, tag: string) => void;
  /** Status lines for the log. */
  readonly onLine?: (line: string) => void;
}

export interface PublishedImage {
  readonly repository: string;
  /** `<repository>@sha256:...`: the immutable reference workers and platforms pull. */
  readonly reference: string;
  /** The manifest digest the registry stored. */
  readonly manifestDigest: string;
  readonly imageId: string;
  readonly version: string;
  /** `<repository>:<version>` and `<repository>:sha256-<hex>`. */
  readonly tags: readonly string[];
  /** How the push of the version tag went (layers sent, layers already there, bytes). */
  readonly progress: PushProgress;
}

/** Pushes the image under both tags; throws PublishError with one message for each kind of failure. */
export async function publishImage(engine: Engine, request: PublishRequest): Promise<PublishedImage> {
  const tags = [versionTag(request.version), digestTag(request.imageId)];
  const image = engine.docker.getImage(request.imageId);
  const tagged: string[] = [];
  try {
    for (const tag of tags) {
      await image.tag({ repo: request.repository, tag });
      tagged.push(`${request.repository}:${tag}`);
    }
    let last: { digest: string; progress: PushProgress } | undefined;
    let first: PushProgress | undefined;
    const digests: string[] = [];
    for (const tag of tags) {
      last = await pushTag(engine, request, tag);
      first ??= last.progress;
      digests.push(last.digest);
    }
    if (!last || !first) throw new Error('nothing was pushed');
    // Both tags name one image: the registry stored one manifest (the second push found every layer there).
    if (digests.some((d) => d !== last.digest)) request.onLine?.(`note: the tags got different manifest digests: ${digests.join(', ')}`);
    const manifestDigest = digests[0] ?? last.digest;
    return {
      repository: request.repository,
      reference: `${request.repository}@${manifestDigest}`,
      manifestDigest,
      imageId: request.imageId,
      version: request.version,
      tags: tagged,
      // The first push sent the layers; the second found them all there.
      progress: first,
    };
  } finally {
    await removeTags(engine, tagged);
  }
}

async function pushTag(engine: Engine, request: PublishRequest, tag: string): Promise<{ digest: string; progress: PushProgress }> {
  const { signal } = request;
  const reference = `${request.repository}:${tag}`;
  const auth: AuthConfig = request.credentials.auth ?? { serveraddress: request.host };
  const log = new PushLog();
  const lines = new JsonLines();
  let reported = 0;
  const feed = (values: unknown[]): void => {
    for (const value of values) {
      const before = log.lines.length;
      const changed = log.feed(value);
      for (const line of log.lines.slice(before)) request.onLine?.(`[push ${tag}] ${line}`);
      // Progress at most every 100 ms of stream (a 2 GB layer sends thousands of ticks).
      const now = Date.now();
      if (changed && now - reported >= 100) {
        reported = now;
        request.onProgress?.(log.progress(), tag);
      }
    }
  };
  const context = (message: string): PublishError =>
    explainPushFailure(message, {
      host: request.host,
      reference,
      user: request.credentials.auth?.username ?? (request.credentials.auth?.identitytoken ? '(identity token)' : undefined),
      credentialSource: request.credentials.source,
      progress: log.progress(),
      started: log.started,
    });
  try {
    const stream = (await engine.docker.getImage(request.repository).push({
      tag,
      authconfig: auth,
      ...(signal ? { abortSignal: signal } : {}),
    } as Parameters<ReturnType<Engine['docker']['getImage']>['push']>[0])) as AsyncIterable<Buffer>;
    for await (const chunk of stream) feed(lines.push(chunk));
    feed(lines.end());
  } catch (err) {
    if (signal?.aborted) throw cancelled(reference, log);
    const message = (err as { json?: { message?: unknown } }).json?.message;
    throw context(typeof message === 'string' ? message : (err as Error).message);
  }
  if (signal?.aborted) throw cancelled(reference, log);
  if (log.error !== undefined) throw context(log.error);
  if (!log.digest) throw context('the push ended without the registry reporting a manifest digest');
  request.onProgress?.(log.progress(), tag);
  return { digest: log.digest, progress: log.progress() };
}

function cancelled(reference: string, log: PushLog): PublishError {
  const p = log.progress();
  return new PublishError('cancelled', `The push of ${reference} was cancelled after ${p.layersDone} of ${p.layers} layers.`, 'cancelled');
}

/** The registry tags were only a way to push: the image keeps its `pyml/` tag, the list stays clean. */
async function removeTags(engine: Engine, references: readonly string[]): Promise<void> {
  for (const reference of references) {
    try {
      await engine.docker.getImage(reference).remove({ noprune: true });
    } catch {
      // gone already
    }
  }
}
