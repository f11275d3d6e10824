/**
 * Builds a model image through the engine's classic builder: the generated Dockerfile, a context
 * tar that honours .dockerignore, progress events as the steps go, a real cancel (aborting the
 * request makes the engine stop the build and remove its containers), and a failure explained by
 * step with diagnostics on requirements.txt / packages.txt lines.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { loadManifest, type Manifest } from '../model/manifest';
import { contextFiles, packContext } from './buildContext';
import { BuildLog, explainFailure, JsonMessageSplitter, type BuildEvent, type StepRecord } from './buildLog';
import { generateDockerfile, type GeneratedDockerfile } from './dockerfile';
import type { Engine } from './engine';
import { BuildCancelledError, BuildFailedError } from './containerErrors';
import { imageTag, LABEL, manifestHash } from './labels';
import { hasRequirements, parseAptPackages } from './dependencyFiles';

export interface BuildSettings {
  /** The folder holding the PyML runtime (`requirements.txt`, `pyml/`). */
  readonly runtimeDir: string;
  /** The base image when the manifest names none (pyml.build.baseImage). */
  readonly baseImage: string;
  /** Default max message size of the image's server, in MiB (pyml.grpc.maxMessageMB). */
  readonly maxMessageMB: number;
}

/** Everything the build needs, read from the model folder. */
export interface PreparedBuild {
  readonly folder: string;
  readonly manifest: Manifest;
  readonly tag: string;
  readonly dockerfile: GeneratedDockerfile;
  /** Text of requirements.txt and packages.txt ('' when absent), to place diagnostics. */
  readonly requirements: string;
  readonly packages: string;
}

/**
 * Reads a model folder and generates its Dockerfile. `forExport` leaves out what only this machine's
 * build needs (the host folder label).
 */
export async function prepareBuild(folder: string, settings: BuildSettings, forExport = false): Promise<PreparedBuild> {
  const manifest = await loadManifest(folder);
  const read = (name: string, dir = folder): Promise<string> => fs.readFile(path.join(dir, name), 'utf8').catch(() => '');
  const [requirements, packages, runtimeRequirements] = await Promise.all([
    read('requirements.txt'),
    read('packages.txt'),
    read('requirements.txt', settings.runtimeDir),
  ]);
  const dockerfile = generateDockerfile({
    manifest,
    baseImage: manifest.runtime.baseImage ?? settings.baseImage,
    manifestHash: manifestHash(manifest),
    aptPackages: parseAptPackages(packages),
    modelRequirements: hasRequirements(requirements),
    runtimeRequirements: hasRequirements(runtimeRequirements),
    maxMessageMB: manifest.runtime.maxMessageMB ?? settings.maxMessageMB,
    ...(forExport ? {} : { extraLabels: { [LABEL.folder]: path.resolve(folder) } }),
  });
  return { folder: path.resolve(folder), manifest, tag: imageTag(manifest), dockerfile, requirements, packages };
}

export interface BuildOptions {
  /** Network of the build's RUN steps (`none` for no network); the engine's default when absent. */
  readonly network?: string;
  readonly noCache?: boolean;
  readonly signal?: AbortSignal;
  /** Every step, cache hit and output line, as they come. */
  readonly onEvent?: (event: BuildEvent) => void;
}

export interface BuildResult {
  readonly imageId: string;
  readonly tag: string;
  readonly steps: readonly StepRecord[];
  /** Steps whose layer came from the cache (one-based). */
  readonly cachedSteps: readonly number[];
  readonly log: readonly string[];
}

export async function buildImage(engine: Engine, prepared: PreparedBuild, settings: BuildSettings, options: BuildOptions = {}): Promise<BuildResult> {
  const { signal } = options;
  if (signal?.aborted) throw new BuildCancelledError();
  const files = await contextFiles({ dockerfile: prepared.dockerfile.text, modelFolder: prepared.folder, runtimeDir: settings.runtimeDir });
  const previous = await engine.docker
    .getImage(prepared.tag)
    .inspect()
    .then((i) => i.Id)
    .catch(() => undefined);
  const log = new BuildLog();
  const splitter = new JsonMessageSplitter();
  const emit = (events: BuildEvent[]): void => {
    for (const e of events) options.onEvent?.(e);
  };
  try {
    const response = await engine.docker.buildImage(packContext(files), {
      t: prepared.tag,
      rm: true,
      forcerm: true,
      version: '1',
      ...(options.network ? { networkmode: options.network } : {}),
      ...(options.noCache ? { nocache: true } : {}),
      ...(signal ? { abortSignal: signal } : {}),
    });
    for await (const chunk of response as AsyncIterable<Buffer>) {
      for (const message of splitter.push(chunk)) emit(log.feed(message));
    }
    for (const message of splitter.end()) emit(log.feed(message));
    emit(log.end());
  } catch (err) {
    if (signal?.aborted) throw new BuildCancelledError();
    throw err;
  }
  if (signal?.aborted) throw new BuildCancelledError();
  if (log.error !== undefined || !log.imageId) {
    const explained = explainFailure(log, prepared.dockerfile.steps, { requirements: prepared.requirements, packages: prepared.packages });
    const failed = log.current;
    throw new BuildFailedError(
      log.error === undefined ? 'the build ended without an image' : explained.message,
      failed?.step,
      failed?.instruction,
      explained.diagnostics,
      log.tail(30),
    );
  }
  // The engine's word on what the tag is now (the log may give a short id only).
  const imageId = await engine.docker
    .getImage(prepared.tag)
    .inspect()
    .then((i) => i.Id);
  if (previous && previous !== imageId) await removeReplacedImage(engine, previous);
  return { imageId, tag: prepared.tag, steps: log.steps, cachedSteps: log.cachedSteps, log: log.lines };
}

/**
 * The image the new build took the tag from is dangling now: remove it, unless something still
 * uses it (a container, another tag): then the engine refuses and it stays.
 */
async function removeReplacedImage(engine: Engine, id: string): Promise<void> {
  try {
    await engine.docker.getImage(id).remove({ noprune: false });
  } catch {
    // in use, or gone already
  }
}
