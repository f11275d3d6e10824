/**
 * A Dask scheduler address (`tcp://host:port`, `tls://host:port`) and a quick look whether anything
 * listens there, so a wrong address fails in milliseconds instead of after the driver's connect timeout.
 */
import * as net from 'net';
import { ClusterError } from './clusterErrors';

export interface SchedulerAddress {
  readonly protocol: 'tcp' | 'tls';
  readonly host: string;
  readonly port: number;
  /** As the user wrote it, normalised: `tcp://host:port`. */
  readonly text: string;
}

export const DEFAULT_SCHEDULER_PORT = 8786;

/** Parses `tcp://host:port`, `tls://host:port` or `host:port` (tcp); throws ClusterError naming the setting. */
export function parseSchedulerAddress(value: string, setting = 'pyml.cluster.schedulerAddress'): SchedulerAddress {
  const text = value.trim();
  if (!text) throw new ClusterError(`No scheduler address: set ${setting} (e.g. tcp://scheduler:8786).`);
  const m = /^(?:(tcp|tls):\/\/)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?\/?$/.exec(text);
  if (!m) throw new ClusterError(`${setting}: '${text}' is not a scheduler address; write tcp://HOST:PORT or tls://HOST:PORT.`);
  const protocol = (m[1] ?? 'tcp') as 'tcp' | 'tls';
  const host = m[2] ?? '';
  const port = m[3] ? Number(m[3]) : DEFAULT_SCHEDULER_PORT;
  if (port < 1 || port > 65535) throw new ClusterError(`${setting}: port ${port} is out of range.`);
  return { protocol, host, port, text: `${protocol}://${host}:${port}` };
}

/**
 * Connects once to the scheduler's port; throws a ClusterError naming the address when nothing
 * listens there or it does not answer within `timeoutMs`.
 */
export function probeScheduler(address: SchedulerAddress, timeoutMs = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    const host = address.host.replace(/^\[|\]$/g, '');
    const socket = net.connect({ host, port: address.port });
    const fail = (why: string): void => {
      socket.destroy();
      reject(new ClusterError(`Cannot reach the Dask scheduler at ${address.text}: ${why}. Is it running, and is pyml.cluster.schedulerAddress right?`));
    };
    const timer = setTimeout(() => {
      fail(`no answer within ${(timeoutMs / 1000).toFixed(0)} s`);
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      fail(err.code === 'ECONNREFUSED' ? 'nothing is listening there (connection refused)' : err.code === 'ENOTFOUND' ? `the host ${host} is unknown` : err.message);
    });
  });
}
