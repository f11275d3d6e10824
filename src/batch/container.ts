/**
 * The container a batch run sends its rows to: the model's built image, started the way Run Model
 * starts it (runSpec.ts: non-root, no network, limits, the socket folder bind-mounted) but under a
 * name of its own, so a batch never replaces the model container the user has running, and with the
 * label `dev.pyml.batch` instead of the model-name label, so the Models view does not list it.
 * Reuses the container code (containerSpec, ModelContainer, waitUntilReady) rather than copying it;
 * only the naming and labels differ, which run.ts's startModel does not let a caller choose.
 */
import { randomBytes } from 'crypto';
import * as os from 'os';
import type { Engine } from '../container/engine';
import { CONTAINER_PORT, folderId, imageTag, LABEL, manifestHash } from '../container/labels';
import { ModelContainer, removeContainer } from '../container/modelContainer';
import { waitUntilReady, type RunSettings } from '../container/run';
import { containerSpec, containerUser } from '../container/runSpec';
import { prepareSocketDir, removeSocketDir, socketBaseDir, socketLocation } from '../container/socketDir';
import type { Manifest } from '../model/manifest';
import type { Predictor } from './run';

/** Marks batch containers (value: the model's name); used to find and remove leftovers. */
export const BATCH_LABEL = 'dev.pyml.batch';

export interface BatchContainerRequest {
  readonly folder: string;
  readonly manifest: Manifest;
  /** Image tag or id; default the manifest's tag (pyml/<name>:<version>). */
  readonly image?: string;
  readonly settings: RunSettings;
  readonly hostUser?: { uid: number; gid: number };
  readonly socketBase?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (message: string) => void;
}

/** The image of a model folder and whether it was built from the manifest as it is now. */
export interface ImageCheck {
  readonly image: string;
  readonly exists: boolean;
  /** False when the image was built from another version of pyml.yaml. */
  readonly current: boolean;
}

export async function checkImage(engine: Engine, manifest: Manifest, image = imageTag(manifest)): Promise<ImageCheck> {
  try {
    const info = await engine.docker.getImage(image).inspect();
    const labels: Record<string, string | undefined> = info.Config.Labels;
    const built = labels[LABEL.manifestHash];
    return { image, exists: true, current: built === undefined || built === manifestHash(manifest) };
  } catch {
    return { image, exists: false, current: false };
  }
}

/** Starts a batch container of the model's image and waits until the model answers. */
export async function startBatchContainer(engine: Engine, request: BatchContainerRequest): Promise<ModelContainer> {
  const { manifest, settings } = request;
  const hostUser = request.hostUser ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  const image = request.image ?? imageTag(manifest);
  const unique = randomBytes(3).toString('hex');
  const name = `pyml-batch-${manifest.name.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').slice(0, 30)}-${folderId(request.folder)}-${unique}`;

  let socketDir: string | undefined;
  let address: string | undefined;
  if (engine.socketsCrossIntoContainers) {
    const location = socketLocation(request.socketBase ?? socketBaseDir(process.env, hostUser.uid, os.tmpdir()), `b-${folderId(request.folder)}-${unique}`);
    await prepareSocketDir(location, containerUser(hostUser), hostUser.uid);
    socketDir = location.dir;
    address = `unix://${location.socket}`;
  }
  const spec = containerSpec({
    name,
    image,
    modelName: manifest.name,
    folder: request.folder,
    mode: 'run',
    hostUser,
    network: settings.network,
    memory: settings.memory,
    cpus: settings.cpus,
    maxMessageMB: settings.maxMessageMB,
    ...(socketDir !== undefined ? { socketDir } : {}),
    ...(address !== undefined ? { address } : {}),
  });
  spec.Labels = { [BATCH_LABEL]: manifest.name, [LABEL.folder]: request.folder, ...(socketDir ? { [LABEL.socketDir]: socketDir } : {}) };

  request.onProgress?.('starting the model container');
  let container;
  try {
    container = await engine.docker.createContainer(spec);
    await container.start();
  } catch (err) {
    if (container) await removeContainer(container);
    if (socketDir) await removeSocketDir({ dir: socketDir });
    throw err;
  }
  const info = await container.inspect();
  if (address === undefined) {
    const port = info.NetworkSettings.Ports[`${CONTAINER_PORT}/tcp`]?.[0]?.HostPort;
    address = port ? `127.0.0.1:${port}` : '127.0.0.1:0';
  }
  const model = new ModelContainer(
    container,
    { id: info.Id, name, modelName: manifest.name, folder: request.folder, mode: 'run', image, address, ...(socketDir ? { socketDir } : {}) },
    { protoPath: settings.protoPath, maxMessageBytes: settings.maxMessageMB * 1024 * 1024 },
    'not-running',
  );
  request.onProgress?.('loading the model');
  try {
    await waitUntilReady(model, settings.readyTimeoutMs ?? 120_000, request.signal);
  } catch (err) {
    await model.stop(2).catch(() => undefined);
    throw err;
  }
  return model;
}

/** A predictor over a model container: each request gets `timeoutMs` and is cancelled with the run. */
export function containerPredictor(model: ModelContainer, timeoutMs: number): Predictor {
  return (request, signal) => model.infer(request, { deadlineMs: timeoutMs, signal });
}
