/**
 * The image a debug session runs: the model's own image with debugpy in it. Built on top of the
 * model image (`FROM <tag>`), so the model's layers stay shared; the one extra step keeps the image
 * as it is when debugpy is there already (our Debian base images), else installs it with the image's
 * own package manager (Debian's python3-debugpy), else with pip, else fails naming what to add.
 */
import type { Engine } from '../container/engine';
import { BuildLog, JsonMessageSplitter } from '../container/buildLog';
import { packContext } from '../container/buildContext';
import { CONTAINER_UID } from '../container/labels';

/** Printed by the build step when no way of installing debugpy worked. */
export const DEBUGPY_MISSING = 'PYML_DEBUGPY_MISSING';

/** The label that marks a debug image. */
export const DEBUG_IMAGE_LABEL = 'dev.pyml.debug-image';

export class DebugImageError extends Error {
  constructor(
    message: string,
    readonly logTail: readonly string[],
  ) {
    super(message);
    this.name = 'DebugImageError';
  }
}

/** `pyml/churn:0.1.0` -> `pyml/churn:0.1.0-debug`. */
export function debugImageTag(tag: string): string {
  const colon = tag.lastIndexOf(':');
  const slash = tag.lastIndexOf('/');
  return colon > slash ? `${tag}-debug` : `${tag}:debug`;
}

/** The Dockerfile of the debug image (pure). */
export function debugDockerfile(baseTag: string): string {
  const check = 'python3 -c "import debugpy" >/dev/null 2>&1';
  const apt =
    'command -v apt-get >/dev/null 2>&1 && apt-get update' +
    ' && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-debugpy' +
    ` && rm -rf /var/lib/apt/lists/* && ${check}`;
  const pip = `python3 -m pip --version >/dev/null 2>&1 && python3 -m pip install debugpy && ${check}`;
  const missing =
    `echo "${DEBUGPY_MISSING}: debugpy is not in this image and neither apt-get (python3-debugpy) nor pip (debugpy) could install it;` +
    ' add python3-debugpy to packages.txt or debugpy to requirements.txt, or use a base image that has it" >&2; exit 1';
  return [
    `FROM ${baseTag}`,
    'USER 0:0',
    `RUN ${check} || { ${apt}; } || { ${pip}; } || { ${missing}; }`,
    `USER ${CONTAINER_UID}:${CONTAINER_UID}`,
    `LABEL ${DEBUG_IMAGE_LABEL}="1"`,
    '',
  ].join('\n');
}

/**
 * Builds (or finds in the cache) the debug image of a model image; returns its tag. `onLine` gets
 * the build's output. A base image where debugpy cannot be installed fails with a DebugImageError
 * that says what to add.
 */
export async function buildDebugImage(engine: Engine, baseTag: string, onLine?: (line: string) => void, signal?: AbortSignal): Promise<string> {
  const tag = debugImageTag(baseTag);
  const content = Buffer.from(debugDockerfile(baseTag));
  const context = packContext([{ name: 'Dockerfile', content, type: 'file', mode: 0o644, size: content.length, mtime: new Date(0) }]);
  const log = new BuildLog();
  const splitter = new JsonMessageSplitter();
  const feed = (events: ReturnType<BuildLog['feed']>): void => {
    for (const e of events) {
      if (e.type === 'line' && e.text) onLine?.(e.text);
      if (e.type === 'error') onLine?.(e.message);
    }
  };
  const response = await engine.docker.buildImage(context, {
    t: tag,
    rm: true,
    forcerm: true,
    version: '1',
    ...(signal ? { abortSignal: signal } : {}),
  });
  for await (const chunk of response as AsyncIterable<Buffer>) {
    for (const message of splitter.push(chunk)) feed(log.feed(message));
  }
  for (const message of splitter.end()) feed(log.feed(message));
  feed(log.end());
  if (log.error !== undefined || !log.imageId) {
    const missing = log.lines.find((l) => l.includes(DEBUGPY_MISSING));
    const message = missing
      ? `${baseTag} has no debugpy and it could not be installed: ${missing.slice(missing.indexOf(':') + 1).trim()}`
      : `building the debug image ${tag} failed: ${log.error ?? 'the build ended without an image'}`;
    throw new DebugImageError(message, log.tail(30));
  }
  return tag;
}
