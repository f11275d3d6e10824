/**
 * The job's driver: a container of the model's image running `python3 -m pyml dask-run`, on the
 * local cluster's internal network or (existing cluster) on the host's network. Its stdout events
 * (events.ts) become progress; its end becomes the result or one error that names what failed.
 * Cancel stops it with SIGTERM: it cancels its tasks and removes its temporary output.
 */
import type Docker from 'dockerode';
import { randomBytes } from 'crypto';
import type { Engine } from '../container/engine';
import { LogDemuxer } from '../container/logs';
import { ClusterCancelledError, ClusterError, PartitionFailedError } from './clusterErrors';
import { parseDriverEvent, type DriverEvent } from './events';

export interface DriverJob {
  readonly scheduler: string;
  readonly inputs: readonly string[];
  readonly output: string;
  readonly keys?: readonly string[];
  readonly partitionBy?: readonly string[];
  readonly partitionBytes?: number;
  /** Split each input file into this many byte ranges (instead of partitionBytes). */
  readonly partitions?: number;
  readonly rowsPerBatch?: number;
  readonly outputFormat?: 'csv' | 'jsonl';
  readonly minWorkers?: number;
  readonly waitWorkersSeconds?: number;
  readonly tls?: { readonly ca: string; readonly cert: string; readonly key: string };
}

export interface DriverRequest {
  readonly job: DriverJob;
  /** Create options of the driver's container (image, user, mounts, network); Cmd is set here. */
  readonly container: Docker.ContainerCreateOptions;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: DriverEvent) => void;
  /** Every other line it prints (stderr), for the log. */
  readonly onLine?: (line: string) => void;
}

export type DriverDone = Extract<DriverEvent, { event: 'done' }>;

export function driverArgs(job: DriverJob): string[] {
  const args = ['-m', 'pyml', 'dask-run', '--scheduler', job.scheduler, '--output', job.output];
  for (const input of job.inputs) args.push('--input', input);
  if (job.keys?.length) args.push('--keys', job.keys.join(','));
  if (job.partitionBy?.length) args.push('--partition-by', job.partitionBy.join(','));
  if (job.partitions) args.push('--partitions', String(job.partitions));
  if (job.partitionBytes) args.push('--partition-bytes', String(job.partitionBytes));
  if (job.rowsPerBatch) args.push('--rows-per-batch', String(job.rowsPerBatch));
  if (job.outputFormat) args.push('--output-format', job.outputFormat);
  if (job.minWorkers) args.push('--min-workers', String(job.minWorkers));
  if (job.waitWorkersSeconds !== undefined) args.push('--wait-workers', String(job.waitWorkersSeconds));
  if (job.tls) args.push('--tls-ca', job.tls.ca, '--tls-cert', job.tls.cert, '--tls-key', job.tls.key);
  return args;
}

/** Runs the driver to its end; resolves with its `done` event, or throws the error it reported. */
export async function runDriver(engine: Engine, request: DriverRequest): Promise<DriverDone> {
  const name = `${request.container.name ?? 'pyml-cluster-driver'}-${randomBytes(2).toString('hex')}`;
  const container = await engine.docker.createContainer({ ...request.container, name, Cmd: driverArgs(request.job) });
  let done: DriverDone | undefined;
  let failure: Extract<DriverEvent, { event: 'error' }> | undefined;
  let partitionsDone = 0;
  const stderr: string[] = [];
  const onAbort = (): void => {
    void container.kill({ signal: 'SIGTERM' }).catch(() => undefined);
  };
  try {
    const stream = (await container.attach({ stream: true, stdout: true, stderr: true })) as NodeJS.ReadableStream;
    const demux = new LogDemuxer();
    const handle = (text: string, which: 'stdout' | 'stderr'): void => {
      const event = which === 'stdout' ? parseDriverEvent(text) : undefined;
      if (!event) {
        if (text.trim()) {
          if (which === 'stderr') stderr.push(text);
          request.onLine?.(text);
        }
        return;
      }
      if (event.event === 'done') done = event;
      if (event.event === 'error') failure = event;
      if (event.event === 'progress') partitionsDone = event.done;
      request.onEvent?.(event);
    };
    const ended = new Promise<void>((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        for (const line of demux.push(chunk)) handle(line.text, line.stream);
      });
      stream.on('end', () => {
        for (const line of demux.end()) handle(line.text, line.stream);
        resolve();
      });
      stream.on('error', () => {
        resolve();
      });
    });
    if (request.signal?.aborted) throw new ClusterCancelledError(0);
    request.signal?.addEventListener('abort', onAbort, { once: true });
    await container.start();
    const exit = (await container.wait()) as { StatusCode: number };
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 2000))]);
    if (request.signal?.aborted) throw new ClusterCancelledError(partitionsDone);
    if (done && exit.StatusCode === 0) return done;
    if (failure) {
      if (failure.partition !== undefined) {
        throw new PartitionFailedError(failure.message, failure.partition, failure.rows ?? '', failure.path, { report: failure.report ?? undefined });
      }
      throw new ClusterError(failure.message);
    }
    throw new ClusterError(`The cluster job's driver stopped (exit ${exit.StatusCode}) without finishing:\n${stderr.slice(-15).join('\n')}`);
  } finally {
    request.signal?.removeEventListener('abort', onAbort);
    await container.remove({ force: true }).catch(() => undefined);
  }
}
