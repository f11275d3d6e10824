/**
 * One batch job on a Dask cluster, from the image to the dataset: on a local cluster (started here,
 * stopped at the end whatever happens) or on an existing one (scheduler address from the settings,
 * probed first so a wrong address fails at once). The driver (driver.ts) does the rest.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import type { Engine } from '../container/engine';
import { parseSchedulerAddress, probeScheduler } from './address';
import { ClusterError } from './clusterErrors';
import { runDriver, type DriverDone, type DriverJob } from './driver';
import type { DriverEvent } from './events';
import { startLocalCluster, type LocalCluster } from './localCluster';

export type Where =
  | { readonly kind: 'local'; readonly workers: number; readonly threadsPerWorker: number; readonly memoryBytes?: number; readonly cpus?: number }
  | { readonly kind: 'existing'; readonly address: string; readonly tls?: { readonly ca: string; readonly cert: string; readonly key: string } };

export interface ClusterJobRequest {
  readonly where: Where;
  /** The model's built image (tag or id). */
  readonly image: string;
  readonly job: Omit<DriverJob, 'scheduler' | 'minWorkers' | 'waitWorkersSeconds' | 'tls'>;
  /** Folders the inputs and the output live in, mounted at the same path (the workspace). */
  readonly shared: readonly string[];
  /** Name prefix of containers and networks (tests: their helper name). */
  readonly prefix?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: ClusterProgress) => void;
  /** Status lines and the driver's stderr, for the log. */
  readonly onLog?: (line: string) => void;
  /** Called once the local cluster runs (tests kill workers through it). */
  readonly onCluster?: (cluster: LocalCluster) => void;
}

export interface ClusterProgress {
  readonly stage: 'starting' | 'running';
  readonly message?: string;
  readonly partitionsDone: number;
  readonly partitionsTotal: number | undefined;
  readonly rows: number;
  readonly rowsPerSecond: number;
  readonly workers: number | undefined;
  readonly dashboard: string | undefined;
}

export interface ClusterJobResult extends DriverDone {
  readonly scheduler: string;
  readonly dashboard: string | undefined;
}

export async function runClusterJob(engine: Engine, request: ClusterJobRequest): Promise<ClusterJobResult> {
  const log = request.onLog ?? ((): void => undefined);
  let state: ClusterProgress = { stage: 'starting', partitionsDone: 0, partitionsTotal: undefined, rows: 0, rowsPerSecond: 0, workers: undefined, dashboard: undefined };
  const update = (patch: Partial<ClusterProgress>): void => {
    state = { ...state, ...patch };
    request.onProgress?.(state);
  };
  const onEvent = (event: DriverEvent): void => {
    switch (event.event) {
      case 'partitions':
        update({ partitionsTotal: event.total });
        log(`Cluster: ${event.total} partitions from ${event.files} file${event.files === 1 ? '' : 's'}`);
        break;
      case 'connected':
        update({ dashboard: state.dashboard ?? event.dashboard ?? undefined });
        log(`Cluster: connected to ${event.scheduler}; dashboard: ${state.dashboard ?? event.dashboard ?? 'not served (the image has no bokeh)'}`);
        break;
      case 'workers':
        update({ stage: 'running', workers: event.count });
        log(`Cluster: ${event.count} worker${event.count === 1 ? '' : 's'} run ${event.model} ${event.version}, image ${event.image ?? '(not given)'}, content ${event.content}`);
        break;
      case 'progress':
        update({ partitionsDone: event.done, partitionsTotal: event.total, rows: event.rows, rowsPerSecond: event.rows_per_second, workers: event.workers });
        log(`Cluster: ${event.done}/${event.total} partitions, ${event.rows} rows, ${Math.round(event.rows_per_second)} rows/s, ${event.workers} workers alive`);
        break;
      default:
        break;
    }
  };
  const output = path.resolve(request.job.output);
  try {
    if (request.where.kind === 'local') {
      const where = request.where;
      update({ message: `starting a local cluster of ${where.workers} worker${where.workers === 1 ? '' : 's'}` });
      const cluster = await startLocalCluster(engine, {
        image: request.image,
        workers: where.workers,
        threadsPerWorker: where.threadsPerWorker,
        shared: request.shared,
        ...(where.memoryBytes ? { memoryBytes: where.memoryBytes } : {}),
        ...(where.cpus ? { cpus: where.cpus } : {}),
        ...(request.prefix ? { prefix: request.prefix } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
        onProgress: (message) => {
          update({ message });
        },
      });
      try {
        log(`Cluster: local cluster ${cluster.id}: scheduler ${cluster.hostAddress} (127.0.0.1 only), ${where.workers} workers x ${where.threadsPerWorker} threads, image ${cluster.imageId}`);
        update({ dashboard: cluster.dashboard, message: 'waiting for the workers' });
        request.onCluster?.(cluster);
        const done = await runDriver(engine, {
          job: { ...request.job, scheduler: cluster.address, minWorkers: where.workers, waitWorkersSeconds: 180 },
          container: cluster.containerBase(`${cluster.id}-driver`, 'driver'),
          ...(request.signal ? { signal: request.signal } : {}),
          onEvent,
          onLine: log,
        });
        return { ...done, scheduler: cluster.hostAddress, dashboard: cluster.dashboard };
      } finally {
        await cluster.stop();
        log(`Cluster: local cluster ${cluster.id} stopped`);
      }
    }
    const where = request.where;
    const address = parseSchedulerAddress(where.address);
    if (address.protocol === 'tls' && !where.tls) {
      throw new ClusterError(`${address.text} is a TLS address: set pyml.cluster.tls.caFile, certFile and keyFile.`);
    }
    await probeScheduler(address);
    let imageId: string;
    try {
      imageId = (await engine.docker.getImage(request.image).inspect()).Id;
    } catch {
      throw new ClusterError(`The image ${request.image} does not exist: build the model first (PyML: Build Image).`);
    }
    const certDirs = where.tls ? [...new Set([where.tls.ca, where.tls.cert, where.tls.key].map((f) => path.dirname(f)))] : [];
    const done = await runDriver(engine, {
      job: { ...request.job, scheduler: address.text, minWorkers: 1, waitWorkersSeconds: 6, ...(where.tls ? { tls: where.tls } : {}) },
      container: {
        name: `${request.prefix ?? 'pyml'}-cluster-driver`,
        Image: request.image,
        Entrypoint: ['python3'],
        User: `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`,
        Env: ['HOME=/tmp', 'PYTHONDONTWRITEBYTECODE=1', `PYML_IMAGE_DIGEST=${imageId}`],
        HostConfig: {
          Binds: [...request.shared.map((f) => `${f}:${f}`), ...certDirs.map((d) => `${d}:${d}:ro`)],
          NetworkMode: 'host',
          CapDrop: ['ALL'],
          SecurityOpt: ['no-new-privileges'],
          Init: true,
        },
      },
      ...(request.signal ? { signal: request.signal } : {}),
      onEvent,
      onLine: log,
    });
    return { ...done, scheduler: address.text, dashboard: state.dashboard };
  } catch (err) {
    await removeTemporaryOutput(output);
    throw err;
  }
}

/** The hidden `.NAME.XXXX.partial` folders a stopped driver may leave next to the output. */
export async function removeTemporaryOutput(output: string): Promise<void> {
  const parent = path.dirname(output);
  const prefix = `.${path.basename(output)}.`;
  const names = await fs.readdir(parent).catch(() => [] as string[]);
  for (const name of names) if (name.startsWith(prefix) && name.endsWith('.partial')) await fs.rm(path.join(parent, name), { recursive: true, force: true });
}
