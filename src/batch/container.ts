/**
 * The container a batch run sends its rows to: the model's built image, started the way Run Model
 * starts it (runSpec.ts: non-root, no network, limits, the socket folder bind-mounted) but under a
 * name of its own, so a batch never replaces the model container the user has running, and with the
 * label `dev.pyml.batch` instead of the model-name label, so the Models view does not list it.
 * Started by run.ts's startModel as a job: only the name, the socket folder and the labels differ.
 */
import { randomBytes } from 'crypto';
import type { Engine } from '../container/engine';
import { folderId, imageTag, LABEL, manifestHash } from '../container/labels';
import type { ModelContainer } from '../container/modelContainer';
import { startModel, type RunSettings } from '../container/runContainer';
import type { Manifest } from '../model/manifest';
import type { ModelInferRequest, ModelInferResponse } from '../protocol/v2types';
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

/**
 * Batches of at least this many bytes go through shared memory when it is on, even below the user's
 * threshold (pyml.sharedMemory.thresholdMB, chosen for single requests): a batch run reuses its regions
 * batch after batch (one per request in flight), so a batch pays two vectored file calls instead of
 * having grpc-js frame, copy and reassemble its bytes both ways.
 */
export const BATCH_SHM_THRESHOLD_BYTES = 64 * 1024;

/** Starts a batch container of the model's image and waits until the model answers. */
export async function startBatchContainer(engine: Engine, request: BatchContainerRequest): Promise<ModelContainer> {
  const { manifest, settings } = request;
  const unique = randomBytes(3).toString('hex');
  const shm = settings.sharedMemory;
  return startModel(engine, {
    ...request,
    settings: shm ? { ...settings, sharedMemory: { thresholdBytes: Math.min(shm.thresholdBytes, BATCH_SHM_THRESHOLD_BYTES) } } : settings,
    image: request.image ?? imageTag(manifest),
    mode: 'run',
    job: {
      name: `pyml-batch-${manifest.name.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').slice(0, 30)}-${folderId(request.folder)}-${unique}`,
      socketKey: `b-${folderId(request.folder)}-${unique}`,
      labels: { [BATCH_LABEL]: manifest.name },
    },
  });
}

/**
 * A predictor over a model container: each request gets `timeoutMs` and is cancelled with the run;
 * answers the run has written out go back to the container's client, whose shared-memory channel
 * reads the next answers into them.
 */
export function containerPredictor(model: ModelContainer, timeoutMs: number): Predictor {
  const predict = (request: ModelInferRequest, signal: AbortSignal): Promise<ModelInferResponse> => model.infer(request, { deadlineMs: timeoutMs, signal });
  return Object.assign(predict, {
    recycle: (response: ModelInferResponse) => {
      model.client.recycle(response);
    },
  });
}
