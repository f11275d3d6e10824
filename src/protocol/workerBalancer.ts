/**
 * Spreads one client's inference calls over the worker processes of a PyML model container.
 *
 * A container started with `--workers N` serves its main socket with a forwarder and each worker on
 * a socket of its own in the same folder; ServerLive's `pyml-workers` header names those sockets
 * (runtime/pyml/supervisor.py). gRPC keeps one HTTP/2 connection per target, so a client that only
 * knew the main socket would put every call through the forwarder; this one opens a channel per
 * worker socket and sends each call to the worker with the fewest calls in flight, skipping workers
 * whose channel is not connected (a worker that died and is restarting). Free of VS Code.
 */
import * as grpc from '@grpc/grpc-js';
import * as path from 'path';
import { WORKER_TRAILER } from './wire';

/** Longest Unix socket path (sockaddr_un.sun_path is 108 bytes with its NUL). */
const MAX_SOCKET_PATH_BYTES = 107;

/** One worker's channel and the calls in flight on it. */
export interface WorkerTarget {
  readonly address: string;
  readonly client: grpc.Client;
  inflight: number;
}

/**
 * The worker socket addresses a `pyml-workers` header names, next to the main socket; an empty list
 * when the main address is not a Unix socket or a name is not a plain file name or too long a path.
 */
export function workerAddresses(mainAddress: string, header: string): string[] {
  if (!mainAddress.startsWith('unix:///')) return [];
  const folder = path.posix.dirname(mainAddress.slice('unix://'.length));
  const names = header.split(',').map((n) => n.trim()).filter(Boolean);
  if (names.length < 2) return [];
  const paths: string[] = [];
  for (const name of names) {
    if (!/^[A-Za-z0-9._-]+$/.test(name) || name === '.' || name === '..') return [];
    const p = path.posix.join(folder, name);
    if (Buffer.byteLength(p) > MAX_SOCKET_PATH_BYTES) return [];
    paths.push(`unix://${p}`);
  }
  return paths;
}

/** A failed call that never reached the model (the worker is gone or restarting): worth sending again elsewhere. */
export function workerUnreachable(err: grpc.ServiceError): boolean {
  return err.code === grpc.status.UNAVAILABLE && err.metadata.get(WORKER_TRAILER).length === 0;
}

const USABLE = new Set([grpc.connectivityState.READY, grpc.connectivityState.IDLE]);

export class WorkerBalancer {
  private readonly targets: WorkerTarget[];
  private next = 0;

  constructor(addresses: readonly string[], options: grpc.ChannelOptions) {
    this.targets = addresses.map((address) => ({
      address,
      client: new grpc.Client(address, grpc.credentials.createInsecure(), options),
      inflight: 0,
    }));
  }

  /** The worker socket addresses, in the server's order. */
  get addresses(): string[] {
    return this.targets.map((t) => t.address);
  }

  /**
   * The connected (or idle) worker with the fewest calls in flight, round-robin among equals; its
   * count is raised until `release`. Undefined when no worker's channel is usable.
   */
  acquire(): WorkerTarget | undefined {
    const n = this.targets.length;
    let best: WorkerTarget | undefined;
    let bestIndex = 0;
    for (let k = 0; k < n; k++) {
      const i = (this.next + k) % n;
      const t = this.targets[i];
      if (!t || !USABLE.has(t.client.getChannel().getConnectivityState(false))) continue;
      if (!best || t.inflight < best.inflight) {
        best = t;
        bestIndex = i;
      }
    }
    if (!best) {
      // Nothing connected: nudge every channel to reconnect for the calls that come next.
      for (const t of this.targets) t.client.getChannel().getConnectivityState(true);
      return undefined;
    }
    this.next = (bestIndex + 1) % n;
    best.inflight++;
    return best;
  }

  release(target: WorkerTarget): void {
    target.inflight--;
  }

  close(): void {
    for (const t of this.targets) t.client.close();
  }
}
