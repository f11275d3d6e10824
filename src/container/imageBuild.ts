/**
 * Builds a model image through the engine's classic builder: the generated Dockerfile, a context
 * tar that honours .dockerignore, progress events as the steps go, a real cancel (aborting the
 * request makes the engine stop the build and remove its containers), and a failure explained by
 * step with diagnostics on requirements.txt / packages.txt lines.
 *
 * A model with data builds in two images, so that the cost of a code edit does not depend on the
 * data's size: the data image (`pyml-data/<model>:<key>`: every step up to the data layer, keyed by
 * the content of its context) is built only when no image of that key exists; the model image is
 * `FROM` it, from a context of the model's code only. The engine has only the classic builder here
 * (BuildKit's API needs a session dockerode does not speak), so the split is ours. Older data images
 * of the folder are removed after a build (not one an image or container still uses).
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { loadManifest, type Manifest } from '../model/manifest';
import { contextFiles, dataKey, modelFiles, packContext, type ContextFile } from './buildContext';
import { BuildLog, explainFailure, JsonMessageSplitter, type BuildEvent, type StepRecord } from './buildLog';
import { codeStageDockerfile, dataStageDockerfile, generateDockerfile, wholeStep, type GeneratedDockerfile } from './dockerfile';
import type { Engine } from './engine';
import { BuildCancelledError, BuildFailedError } from './containerErrors';
import { dataImageTag, imageTag, LABEL, manifestHash } from './labels';
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
  const [requirements, packages, runtimeRequirements, files] = await Promise.all([
    read('requirements.txt'),
    read('packages.txt'),
    read('requirements.txt', settings.runtimeDir),
    modelFiles(folder),
  ]);
  const dockerfile = generateDockerfile({
    manifest,
    baseImage: manifest.runtime.baseImage ?? settings.baseImage,
    manifestHash: manifestHash(manifest),
    aptPackages: parseAptPackages(packages),
    modelRequirements: hasRequirements(requirements),
    runtimeRequirements: hasRequirements(runtimeRequirements),
    maxMessageMB: manifest.runtime.maxMessageMB ?? settings.maxMessageMB,
    hasData: files.data.length > 0,
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
  /** The data image the model image is on (a model with data), and whether this build made it. */
  readonly dataImage?: { readonly tag: string; readonly built: boolean; readonly bytes: number };
}

export async function buildImage(engine: Engine, prepared: PreparedBuild, settings: BuildSettings, options: BuildOptions = {}): Promise<BuildResult> {
  const { signal } = options;
  if (signal?.aborted) throw new BuildCancelledError();
  const previous = await imageId(engine, prepared.tag);
  const generated = prepared.dockerfile;
  const records: StepRecord[] = [];
  const lines: string[] = [];
  let dataImage: BuildResult['dataImage'];
  let dockerfile = generated.text;
  let stepOf = (step: number): number | undefined => step;
  if (generated.dataSteps > 0) {
    const data = await ensureDataImage(engine, prepared, settings, options, records, lines);
    dataImage = data;
    dockerfile = codeStageDockerfile(generated, data.tag);
    stepOf = (step) => wholeStep(generated, step);
  }
  const files = await contextFiles({ dockerfile, modelFolder: prepared.folder, runtimeDir: settings.runtimeDir, stage: generated.dataSteps > 0 ? 'code' : 'whole' });
  const log = await runBuild(engine, prepared, files, { t: prepared.tag }, options, stepOf);
  records.push(...log.records);
  lines.push(...log.lines);
  // The engine's word on what the tag is now (the log may give a short id only).
  const id = await engine.docker
    .getImage(prepared.tag)
    .inspect()
    .then((i) => i.Id);
  if (previous && previous !== id) await removeUnused(engine, previous);
  if (dataImage) await removeOldDataImages(engine, prepared.folder, dataImage.tag);
  return {
    imageId: id,
    tag: prepared.tag,
    steps: records,
    cachedSteps: records.filter((r) => r.cached).map((r) => r.step),
    log: lines,
    ...(dataImage ? { dataImage } : {}),
  };
}

/**
 * The data image of the build: found by its key, or built (steps 1..dataSteps of the Dockerfile,
 * from a context of the runtime, requirements.txt and the data). A found one stands for those steps
 * in the result, as steps taken from it.
 */
async function ensureDataImage(
  engine: Engine,
  prepared: PreparedBuild,
  settings: BuildSettings,
  options: BuildOptions,
  records: StepRecord[],
  lines: string[],
): Promise<{ tag: string; built: boolean; bytes: number }> {
  const generated = prepared.dockerfile;
  const files = await contextFiles({ dockerfile: dataStageDockerfile(generated), modelFolder: prepared.folder, runtimeDir: settings.runtimeDir, stage: 'data' });
  const key = await dataKey(files, (stamp) => contentOfStamp(engine, prepared.folder, stamp));
  const tag = dataImageTag(prepared.manifest, key.key);
  if (!options.noCache && (await imageId(engine, tag))) {
    const text = `Steps 1-${generated.dataSteps} of ${generated.steps.length}: from the data image ${tag} (the data, ${formatBytes(key.bytes)} in ${key.files} files, and the dependencies did not change)`;
    lines.push(text);
    options.onEvent?.({ type: 'line', text });
    generated.steps.slice(0, generated.dataSteps).forEach((s, i) => records.push({ step: i + 1, instruction: s.instruction, cached: true, lines: [] }));
    return { tag, built: false, bytes: key.bytes };
  }
  const text = `Building the data image ${tag} (${formatBytes(key.bytes)} in ${key.files} files): steps 1-${generated.dataSteps} of ${generated.steps.length}`;
  lines.push(text);
  options.onEvent?.({ type: 'line', text });
  const labels = { [LABEL.dataOf]: prepared.folder, [LABEL.dataStamp]: key.stamp, [LABEL.dataContent]: key.content };
  const log = await runBuild(engine, prepared, files, { t: tag, labels }, options, (step) => step);
  records.push(...log.records);
  lines.push(...log.lines);
  return { tag, built: true, bytes: key.bytes };
}

/**
 * One build through the engine; its steps numbered as steps of the whole Dockerfile (`stepOf`:
 * undefined for a step the whole Dockerfile does not have, the code stage's FROM).
 */
async function runBuild(
  engine: Engine,
  prepared: PreparedBuild,
  files: readonly ContextFile[],
  image: { readonly t: string; readonly labels?: Record<string, string> },
  options: BuildOptions,
  stepOf: (step: number) => number | undefined,
): Promise<{ records: StepRecord[]; lines: string[] }> {
  const { signal } = options;
  const total = prepared.dockerfile.steps.length;
  const log = new BuildLog();
  const splitter = new JsonMessageSplitter();
  const emit = (events: BuildEvent[]): void => {
    for (const e of events) {
      if (e.type === 'step') {
        const step = stepOf(e.step);
        options.onEvent?.(step === undefined ? { type: 'line', text: e.instruction } : { ...e, step, total });
      } else if (e.type === 'cached') {
        const step = stepOf(e.step);
        if (step !== undefined) options.onEvent?.({ ...e, step });
      } else {
        options.onEvent?.(e);
      }
    }
  };
  try {
    const response = await engine.docker.buildImage(packContext(files), {
      t: image.t,
      rm: true,
      forcerm: true,
      version: '1',
      ...(image.labels ? { labels: image.labels } : {}),
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
  const records = log.steps.flatMap((r) => {
    const step = stepOf(r.step);
    return step === undefined ? [] : [{ ...r, step }];
  });
  if (log.error !== undefined || !log.imageId) {
    const current = records[records.length - 1];
    const explained = explainFailure({ current, error: log.error, total }, prepared.dockerfile.steps, { requirements: prepared.requirements, packages: prepared.packages });
    throw new BuildFailedError(
      log.error === undefined ? 'the build ended without an image' : explained.message,
      current?.step,
      current?.instruction,
      explained.diagnostics,
      log.tail(30),
      prepared.folder,
    );
  }
  return { records, lines: log.lines };
}

function imageId(engine: Engine, tag: string): Promise<string | undefined> {
  return engine.docker
    .getImage(tag)
    .inspect()
    .then((i) => i.Id)
    .catch(() => undefined);
}

/** The content hash a data image of the folder was built from at that stamp (no need to read the data again). */
async function contentOfStamp(engine: Engine, folder: string, stamp: string): Promise<string | undefined> {
  const images = await engine.docker.listImages({ filters: { label: [`${LABEL.dataOf}=${folder}`, `${LABEL.dataStamp}=${stamp}`] } }).catch(() => []);
  return images.map((i) => i.Labels[LABEL.dataContent]).find((c) => c !== undefined && c !== '');
}

/**
 * The image the new build took the tag from is dangling now: remove it, unless something still
 * uses it (a container, another tag): then the engine refuses and it stays.
 */
export async function removeUnused(engine: Engine, id: string): Promise<boolean> {
  try {
    await engine.docker.getImage(id).remove({ noprune: false });
    return true;
  } catch {
    // in use, or gone already
    return false;
  }
}

/** The data images of a folder (not the model images on top of them, which inherit the label). */
export async function dataImagesOf(engine: Engine, folder: string): Promise<{ id: string; tags: string[] }[]> {
  const images = await engine.docker.listImages({ filters: { label: [`${LABEL.dataOf}=${folder}`] } });
  return images.filter((i) => i.Labels[LABEL.folder] === undefined).map((i) => ({ id: i.Id, tags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>') }));
}

/** Removes the folder's data images other than `keep` that no image or container uses any more. */
export async function removeOldDataImages(engine: Engine, folder: string, keep: string): Promise<number> {
  let removed = 0;
  for (const image of await dataImagesOf(engine, folder).catch(() => [])) {
    if (image.tags.includes(keep)) continue;
    if (await removeUnused(engine, image.id)) removed++;
  }
  return removed;
}

/** What Remove Old Images did. */
export interface PruneResult {
  readonly removed: number;
  /** Older images a container still uses (running or stopped): they stay. */
  readonly inUse: number;
  readonly failed: readonly string[];
}

/**
 * Removes a folder's older images: its untagged model images (earlier builds) that no container
 * uses, then its data images that no image is built on any more. Never forced: an image a container
 * or another image uses stays.
 */
export async function removeOldImages(engine: Engine, folder: string): Promise<PruneResult> {
  const [images, containers] = await Promise.all([
    engine.docker.listImages({ filters: { label: [`${LABEL.folder}=${folder}`] } }),
    engine.docker.listContainers({ all: true }),
  ]);
  const used = new Set(containers.map((c) => c.ImageID));
  let removed = 0;
  let inUse = 0;
  const failed: string[] = [];
  for (const image of images) {
    const tagged = (image.RepoTags ?? []).some((t) => t !== '<none>:<none>');
    if (tagged) continue;
    if (used.has(image.Id)) {
      inUse++;
      continue;
    }
    try {
      await engine.docker.getImage(image.Id).remove({ noprune: false });
      removed++;
    } catch (err) {
      failed.push(`${image.Id.slice(7, 19)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  removed += await removeOldDataImages(engine, folder, '');
  return { removed, inUse, failed };
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 ** 2) return `${Math.round(bytes / 1024 ** 2)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} kB`;
}
