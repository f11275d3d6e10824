/**
 * A local Dask cluster of the model's image: one scheduler and N worker containers on a Docker
 * network of their own that is `internal` (no route out), the scheduler also on a second bridge
 * without masquerading (still no way out) so its port can be published on 127.0.0.1 only. The
 * shared folders (the workspace) are bind-mounted at the same path in every container, so input
 * and output paths mean the same thing everywhere. Containers run as the host user, every
 * capability dropped, no new privileges.
 */
import { randomBytes } from 'crypto';
import type Docker from 'dockerode';
import type { Engine } from '../container/engine';
import { logTail } from '../container/logs';
import { ClusterError } from './clusterErrors';

/** Marks every container and network of a local cluster (value: the cluster id). */
export const CLUSTER_LABEL = 'dev.pyml.cluster';
export const SCHEDULER_PORT = 8786;
export const DASHBOARD_PORT = 8787;

export interface LocalClusterRequest {
  /** Image tag or id of the model (it carries python3-distributed and the runtime). */
  readonly image: string;
  readonly workers: number;
  readonly threadsPerWorker: number;
  /** Folders bind-mounted read-write at the same path in every container. */
  readonly shared: readonly string[];
  /** Per worker: `2g` and cpus, as the run settings give them. */
  readonly memoryBytes?: number;
  readonly cpus?: number;
  /** A prefix for names (tests: their helper name). */
  readonly prefix?: string;
  readonly user?: { readonly uid: number; readonly gid: number };
  readonly readyTimeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (message: string) => void;
}

export interface LocalCluster {
  readonly id: string;
  /** The image's id (`sha256:...`): what every worker reports as its image digest. */
  readonly imageId: string;
  /** The scheduler as the cluster's containers reach it. */
  readonly address: string;
  /** The scheduler's port on this machine: `tcp://127.0.0.1:PORT`. */
  readonly hostAddress: string;
  /** The dashboard on this machine when the image serves one (bokeh), else undefined. */
  readonly dashboard: string | undefined;
  /** The internal network's name: a driver joins it. */
  readonly network: string;
  readonly scheduler: Docker.Container;
  readonly workers: readonly Docker.Container[];
  /** Container create options shared by the scheduler, workers and a driver. */
  containerBase(name: string, role: string): Docker.ContainerCreateOptions;
  /** Starts one more worker (of `image`, default the cluster's). */
  addWorker(image?: string, imageId?: string): Promise<Docker.Container>;
  /** Removes every container and both networks; safe to call twice. */
  stop(): Promise<void>;
}

export async function startLocalCluster(engine: Engine, request: LocalClusterRequest): Promise<LocalCluster> {
  const docker = engine.docker;
  const id = `${request.prefix ?? 'pyml'}-cluster-${randomBytes(3).toString('hex')}`;
  const report = request.onProgress ?? ((): void => undefined);
  let imageId: string;
  try {
    imageId = (await docker.getImage(request.image).inspect()).Id;
  } catch {
    throw new ClusterError(`The image ${request.image} does not exist: build the model first (PyML: Build Image).`);
  }
  const user = request.user ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  const labels = { [CLUSTER_LABEL]: id };
  const created: Docker.Container[] = [];
  const networks: Docker.Network[] = [];
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(created.map((c) => c.remove({ force: true }).catch(() => undefined)));
    for (const n of networks) await n.remove().catch(() => undefined);
  };

  const base = (name: string, role: string, image = request.image, digest = imageId): Docker.ContainerCreateOptions => ({
    name,
    Image: image,
    Entrypoint: ['python3'],
    User: `${user.uid}:${user.gid}`,
    Env: ['HOME=/tmp', 'PYTHONDONTWRITEBYTECODE=1', `PYML_IMAGE_DIGEST=${digest}`],
    Labels: { ...labels, [`${CLUSTER_LABEL}.role`]: role },
    HostConfig: {
      Binds: request.shared.map((folder) => `${folder}:${folder}`),
      NetworkMode: id,
      ...(request.memoryBytes ? { Memory: request.memoryBytes } : {}),
      ...(request.cpus ? { NanoCpus: Math.round(request.cpus * 1e9) } : {}),
      PidsLimit: 1024,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Init: true,
    },
  });

  const schedulerName = `${id}-scheduler`;
  const address = `tcp://${schedulerName}:${SCHEDULER_PORT}`;
  let workerCount = 0;
  const addWorker = async (image = request.image, digest = imageId): Promise<Docker.Container> => {
    workerCount++;
    const name = `${id}-worker-${workerCount}`;
    const options = base(name, 'worker', image, digest);
    const worker = await docker.createContainer({
      ...options,
      Cmd: ['-m', 'pyml', 'dask-worker', address, '--name', name, '--nthreads', String(request.threadsPerWorker), '--no-nanny', '--local-directory', '/tmp/dask-worker', '--no-dashboard'],
    });
    created.push(worker);
    await worker.start();
    return worker;
  };

  try {
    report('creating the cluster network');
    networks.push(await docker.createNetwork({ Name: id, Driver: 'bridge', Internal: true, Labels: labels, CheckDuplicate: true }));
    const publish = await docker.createNetwork({
      Name: `${id}-publish`,
      Driver: 'bridge',
      Labels: labels,
      CheckDuplicate: true,
      Options: { 'com.docker.network.bridge.enable_ip_masquerade': 'false' },
    });
    networks.push(publish);

    report('starting the Dask scheduler');
    const schedulerOptions = base(schedulerName, 'scheduler');
    const scheduler = await docker.createContainer({
      ...schedulerOptions,
      Cmd: ['-m', 'distributed.cli.dask_scheduler', '--port', String(SCHEDULER_PORT), '--dashboard-address', `:${DASHBOARD_PORT}`],
      ExposedPorts: { [`${SCHEDULER_PORT}/tcp`]: {}, [`${DASHBOARD_PORT}/tcp`]: {} },
      HostConfig: {
        ...schedulerOptions.HostConfig,
        NetworkMode: `${id}-publish`,
        PortBindings: {
          [`${SCHEDULER_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '' }],
          [`${DASHBOARD_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '' }],
        },
      },
    });
    created.push(scheduler);
    await networks[0]?.connect({ Container: scheduler.id, EndpointConfig: { Aliases: [schedulerName] } });
    await scheduler.start();
    const logs = await waitForLog(scheduler, /Scheduler at:/, request.readyTimeoutMs ?? 120_000, request.signal, 'the Dask scheduler');
    const info = await scheduler.inspect();
    const port = info.NetworkSettings.Ports[`${SCHEDULER_PORT}/tcp`]?.[0]?.HostPort;
    const dashPort = info.NetworkSettings.Ports[`${DASHBOARD_PORT}/tcp`]?.[0]?.HostPort;
    const serves = /dashboard at:/i.test(logs) && !/No module named 'bokeh'|dashboard.*(disabled|not available)/i.test(logs);

    report(`starting ${request.workers} worker${request.workers === 1 ? '' : 's'}`);
    const workers: Docker.Container[] = [];
    for (let i = 0; i < request.workers; i++) workers.push(await addWorker());
    return {
      id,
      imageId,
      address,
      hostAddress: `tcp://127.0.0.1:${port ?? '?'}`,
      dashboard: serves && dashPort ? `http://127.0.0.1:${dashPort}/status` : undefined,
      network: id,
      scheduler,
      workers,
      containerBase: (name, role) => base(name, role),
      addWorker,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Waits until the container's log matches; fails naming the container and its last lines when it exits. */
async function waitForLog(container: Docker.Container, pattern: RegExp, timeoutMs: number, signal: AbortSignal | undefined, what: string): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = await logTail(container, 200);
    const text = lines.join('\n');
    if (pattern.test(text)) return text;
    const state = await container.inspect().then((i) => i.State, () => undefined);
    if (!state || !state.Running) throw new ClusterError(`${what} stopped before it was ready (exit ${state?.ExitCode ?? '?'}):\n${lines.slice(-15).join('\n')}`);
    if (signal?.aborted) throw new ClusterError(`cancelled while starting ${what}`);
    if (Date.now() > deadline) throw new ClusterError(`${what} was not ready after ${Math.round(timeoutMs / 1000)} s:\n${lines.slice(-15).join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/** Removes what earlier local clusters left behind (a window closed mid-job). */
export async function removeLeftoverClusters(engine: Engine, id?: string): Promise<number> {
  const filter = { label: [id ? `${CLUSTER_LABEL}=${id}` : CLUSTER_LABEL] };
  const containers = await engine.docker.listContainers({ all: true, filters: filter });
  await Promise.all(containers.map((c) => engine.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  const networks = await engine.docker.listNetworks({ filters: filter });
  for (const n of networks) await engine.docker.getNetwork(n.Id).remove().catch(() => undefined);
  return containers.length;
}
