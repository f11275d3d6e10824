/**
 * Starts a model container and waits until its model answers (ServerReady, then ModelReady), with a
 * bounded timeout; a container that exits while starting fails with the tail of its log. Finds the
 * model containers of earlier sessions by their labels.
 */
import type Docker from 'dockerode';
import { promises as fs } from 'fs';
import * as os from 'os';
import type { Manifest } from '../model/manifest';
import type { Engine } from './engine';
import { ContainerExitedError, ReadinessTimeoutError } from './containerErrors';
import { CONTAINER_PORT, containerName, folderId, LABEL } from './labels';
import { logTail } from './logs';
import { ModelContainer, removeContainer, type ModelClientOptions, type ModelContainerInfo } from './modelContainer';
import { containerSpec, containerUser, type RunMode } from './runSpec';
import { prepareSocketDir, removeSocketDir, socketBaseDir, socketLocation } from './socketDir';
import { hostSharedMemory, prepareShmFolder, removeShmFolder, shmBase } from '../protocol/shmFolder';

export interface RunSettings {
  readonly network: boolean;
  readonly memory: string;
  readonly cpus: number;
  /** pyml.run.workers: model processes; 0 or absent: one per core of `cpus`. */
  readonly workers?: number;
  readonly maxMessageMB: number;
  /** Absolute path of grpc_predict_v2.proto. */
  readonly protoPath: string;
  /** How long the model may take to load (default 120 s). */
  readonly readyTimeoutMs?: number;
  /** Big requests through a shared-memory folder mounted into the container (pyml.sharedMemory.*); absent: off. */
  readonly sharedMemory?: { readonly thresholdBytes: number };
}

export interface StartRequest {
  readonly folder: string;
  readonly manifest: Manifest;
  /** Image tag or id. */
  readonly image: string;
  readonly mode: RunMode;
  readonly settings: RunSettings;
  /** Defaults: this process's uid/gid, environment and the OS temp folder (tests pass their own). */
  readonly hostUser?: { uid: number; gid: number };
  readonly socketBase?: string;
  /** Where shared-memory folders go (default /dev/shm/pyml-<uid>). */
  readonly shmBase?: string;
  readonly signal?: AbortSignal;
  /** Told what is going on while waiting ("starting", "loading the model"). */
  readonly onProgress?: (message: string) => void;
  /**
   * A container for one job (batch): its own name and socket folder, these labels instead of the
   * model-container labels (so the Models view does not list it as the model), and removed with its
   * socket folder when it fails to start. Default: the model folder's container, replacing an
   * earlier one, kept after a failed start so that its log can be read.
   */
  readonly job?: { readonly name: string; readonly socketKey: string; readonly labels: Readonly<Record<string, string>> };
  /** Changes the container's create options before it is created (the debugger adds its port and arguments). */
  readonly customize?: (spec: Docker.ContainerCreateOptions) => void;
  /**
   * Runs once the container has started, before waiting for the model to be ready (a debugger attaches
   * here, so that it can stop in the model's constructor); a throw stops the start like a failed wait.
   */
  readonly beforeReady?: (model: ModelContainer, info: Docker.ContainerInspectInfo) => Promise<void>;
}

export async function startModel(engine: Engine, request: StartRequest): Promise<ModelContainer> {
  const { manifest, settings } = request;
  const hostUser = request.hostUser ?? currentUser();
  const { job } = request;
  const name = job?.name ?? containerName(manifest, request.folder);
  await removeContainer(engine.docker.getContainer(name));

  let socketDir: string | undefined;
  let address: string | undefined;
  if (engine.socketsCrossIntoContainers) {
    const location = socketLocation(request.socketBase ?? socketBaseDir(process.env, hostUser.uid, os.tmpdir()), job?.socketKey ?? folderId(request.folder));
    // With a rootless engine the folder stays the host user's: that is who the container's root is.
    const owner = engine.rootless ? hostUser : containerUser(hostUser);
    await prepareSocketDir(location, owner, hostUser.uid);
    socketDir = location.dir;
    address = `unix://${location.socket}`;
  }
  // Shared memory needs the container on this machine: where sockets cross into it, /dev/shm does too.
  let shmDir: string | undefined;
  if (socketDir !== undefined && settings.sharedMemory && (await hostSharedMemory())) {
    const owner = engine.rootless ? hostUser : containerUser(hostUser);
    shmDir = await prepareShmFolder(request.shmBase ?? shmBase(hostUser.uid), job?.socketKey ?? folderId(request.folder), owner, hostUser.uid);
  }
  const spec = containerSpec({
    name,
    image: request.image,
    modelName: manifest.name,
    folder: request.folder,
    mode: request.mode,
    hostUser,
    rootless: engine.rootless,
    network: settings.network,
    memory: settings.memory,
    cpus: settings.cpus,
    ...(settings.workers !== undefined ? { workers: settings.workers } : {}),
    maxMessageMB: settings.maxMessageMB,
    ...(socketDir !== undefined ? { socketDir } : {}),
    ...(address !== undefined ? { address } : {}),
    ...(shmDir !== undefined ? { shmDir } : {}),
  });
  if (job) {
    spec.Labels = {
      ...job.labels,
      [LABEL.folder]: request.folder,
      ...(socketDir !== undefined ? { [LABEL.socketDir]: socketDir } : {}),
      ...(shmDir !== undefined ? { [LABEL.shmDir]: shmDir } : {}),
    };
  }
  request.customize?.(spec);
  request.onProgress?.('creating the container');
  let container: Docker.Container | undefined;
  try {
    container = await engine.docker.createContainer(spec);
    await container.start();
  } catch (err) {
    if (container) await removeContainer(container);
    if (job && socketDir !== undefined) await removeSocketDir({ dir: socketDir });
    if (shmDir !== undefined) await removeShmFolder(shmDir);
    throw err;
  }
  const info = await container.inspect();
  if (address === undefined) {
    const port = publishedPort(info);
    if (!port) throw new ContainerExitedError('starting', info.State.ExitCode, await logTail(container, 30), info.State.OOMKilled);
    address = `127.0.0.1:${port}`;
  }
  const model = new ModelContainer(
    container,
    {
      id: info.Id,
      name,
      modelName: manifest.name,
      folder: request.folder,
      mode: request.mode,
      image: request.image,
      address,
      ...(socketDir !== undefined ? { socketDir } : {}),
      ...(shmDir !== undefined ? { shmDir } : {}),
    },
    {
      protoPath: settings.protoPath,
      maxMessageBytes: settings.maxMessageMB * 1024 * 1024,
      ...(settings.sharedMemory ? { sharedMemoryThresholdBytes: settings.sharedMemory.thresholdBytes } : {}),
    },
    // The container is started: `not-running` returns at once if it has already stopped.
    'not-running',
  );
  request.onProgress?.('loading the model');
  try {
    await request.beforeReady?.(model, info);
    await waitUntilReady(model, settings.readyTimeoutMs ?? 120_000, request.signal);
  } catch (err) {
    if (job) await model.stop(2).catch(() => undefined);
    else model.close();
    throw err;
  }
  return model;
}

/**
 * Polls ServerReady and ModelReady until both say yes; every wait is cut short by the container's
 * exit. Throws ContainerExitedError (with the log tail) or ReadinessTimeoutError.
 */
export async function waitUntilReady(model: ModelContainer, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const socket = model.info.address.startsWith('unix://') ? model.info.address.slice('unix://'.length) : undefined;
  let problem = 'no answer yet';
  for (;;) {
    if (model.exitInfo) throw await model.exitError('starting', model.exitInfo);
    if (signal?.aborted) throw new Error('cancelled while waiting for the model');
    const left = deadline - Date.now();
    if (left <= 0) throw new ReadinessTimeoutError(timeoutMs, problem, await logTail(model.container, 30));
    const callDeadline = Math.min(2000, left);
    try {
      if (socket && !(await exists(socket))) {
        problem = 'the server has not created its socket yet';
      } else if (!(await model.client.serverReady({ deadlineMs: callDeadline }))) {
        problem = 'the server is not ready';
      } else if (!(await model.client.modelReady(model.info.modelName, '', { deadlineMs: callDeadline }))) {
        problem = `model '${model.info.modelName}' is not ready`;
      } else {
        return;
      }
    } catch (err) {
      problem = err instanceof Error ? err.message : String(err);
    }
    await Promise.race([delay(100), model.exited]);
  }
}

/** The model containers on the engine (running or not), from their labels. */
export async function listModelContainers(engine: Engine): Promise<Docker.ContainerInfo[]> {
  return engine.docker.listContainers({ all: true, filters: { label: [LABEL.name] } });
}

/** Handles for the running model containers of an earlier session (after a window reload). */
export async function attachRunning(
  engine: Engine,
  clientOptions: ModelClientOptions,
): Promise<ModelContainer[]> {
  const out: ModelContainer[] = [];
  for (const c of await listModelContainers(engine)) {
    if (c.State !== 'running') continue;
    const info = containerInfoOf(c);
    if (info) out.push(new ModelContainer(engine.docker.getContainer(c.Id), info, clientOptions, 'not-running'));
  }
  return out;
}

/** What a listed container's labels say about it; undefined when they are incomplete. */
export function containerInfoOf(c: Docker.ContainerInfo): ModelContainerInfo | undefined {
  const labels = c.Labels;
  const modelName = labels[LABEL.name];
  const folder = labels[LABEL.folder];
  if (!modelName || !folder) return undefined;
  const port = c.Ports.find((p) => p.PrivatePort === CONTAINER_PORT && p.PublicPort)?.PublicPort;
  const address = labels[LABEL.address] ?? (port ? `127.0.0.1:${port}` : undefined);
  if (!address) return undefined;
  const socketDir = labels[LABEL.socketDir];
  const shmDir = labels[LABEL.shmDir];
  return {
    id: c.Id,
    name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
    modelName,
    folder,
    mode: labels[LABEL.mode] === 'dev' ? 'dev' : 'run',
    image: c.Image,
    address,
    ...(socketDir ? { socketDir } : {}),
    ...(shmDir ? { shmDir } : {}),
  };
}

/** Removes the container of a model folder, if any (stopped or not). */
export async function removeModelContainer(engine: Engine, manifest: Pick<Manifest, 'name'>, folder: string): Promise<void> {
  await removeContainer(engine.docker.getContainer(containerName(manifest, folder)));
}

/** The host port of the gRPC port; undefined when the container already stopped. */
function publishedPort(info: Docker.ContainerInspectInfo): string | undefined {
  return info.NetworkSettings.Ports[`${CONTAINER_PORT}/tcp`]?.[0]?.HostPort || undefined;
}

function currentUser(): { uid: number; gid: number } {
  return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
}

function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

