/**
 * The container of a running model, as engine create options: a pure function of the request.
 * Non-root, no network unless asked, memory and CPU limits, no capabilities, labels to find it again.
 */
import type { ContainerCreateOptions } from 'dockerode';
import { SHM_CONTAINER_DIR, SHM_DIR_ENV } from '../protocol/shmFolder';
import { serveArgs } from './dockerfile';
import { CONTAINER_PORT, CONTAINER_UID, IMAGE_PATHS, LABEL } from './labels';

export type RunMode = 'run' | 'dev';

export interface RunSpecInput {
  readonly name: string;
  readonly image: string;
  readonly modelName: string;
  readonly folder: string;
  readonly mode: RunMode;
  /** Host uid/gid of the extension's user. */
  readonly hostUser: { readonly uid: number; readonly gid: number };
  /** The engine maps the container's root to the host user (rootless Docker, Podman). */
  readonly rootless?: boolean;
  /** pyml.run.network */
  readonly network: boolean;
  /** pyml.run.memory, e.g. `2g`. */
  readonly memory: string;
  /** pyml.run.cpus */
  readonly cpus: number;
  /** pyml.run.workers: model processes in the container; 0 or absent: one per core of `cpus`. */
  readonly workers?: number;
  readonly maxMessageMB: number;
  /** Unix socket transport: the host folder to bind-mount; TCP when absent. */
  readonly socketDir?: string;
  /** The gRPC address on the host, for the label (`unix:///...`; for TCP filled in after start). */
  readonly address?: string;
  /** The host folder of the container's shared-memory regions (under /dev/shm), mounted into it alone. */
  readonly shmDir?: string;
}

/**
 * The user a model container runs as, so that its socket belongs to the host user: the host user
 * itself; the image's non-root user when the host user is root; and with a rootless engine the
 * container's root, which *is* the host user there (and holds no privilege on the host).
 */
export function containerUser(host: { uid: number; gid: number }, rootless = false): { uid: number; gid: number } {
  if (rootless) return { uid: 0, gid: 0 };
  return host.uid === 0 ? { uid: CONTAINER_UID, gid: CONTAINER_UID } : { uid: host.uid, gid: host.gid };
}

/** Bytes of a Docker memory size (`512m`, `2g`, `1.5g`, `1073741824`); throws on nonsense. */
export function parseMemory(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmg]?)b?\s*$/i.exec(value);
  if (!m?.[1]) throw new Error(`'${value}' is not a memory size (examples: 512m, 2g)`);
  const unit = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').toLowerCase()] ?? 1;
  const bytes = Math.floor(Number(m[1]) * unit);
  if (bytes < 6 * 1024 * 1024) throw new Error(`pyml.run.memory '${value}' is below Docker's minimum of 6m`);
  return bytes;
}

/** Model processes a container runs: the setting when set, else its CPU limit rounded up (at least 1). */
export function workerCount(setting: number | undefined, cpus: number): number {
  if (setting !== undefined && setting >= 1) return Math.floor(setting);
  return Math.max(1, Math.ceil(cpus));
}

export function containerSpec(input: RunSpecInput): ContainerCreateOptions {
  const user = containerUser(input.hostUser, input.rootless);
  const unix = input.socketDir !== undefined;
  const binds = unix && input.socketDir ? [`${input.socketDir}:${IMAGE_PATHS.socketDir}`] : [];
  if (input.mode === 'dev') binds.push(`${input.folder}:${IMAGE_PATHS.model}:ro`);
  if (input.shmDir) binds.push(`${input.shmDir}:${SHM_CONTAINER_DIR}`);
  const workers = workerCount(input.workers, input.cpus);
  const cmd = [
    ...(unix
      ? serveArgs({ socket: IMAGE_PATHS.socket, maxMessageMB: input.maxMessageMB })
      : serveArgs({ port: CONTAINER_PORT, maxMessageMB: input.maxMessageMB })),
    // Several model processes behind the one address (runtime/pyml/supervisor.py).
    ...(workers > 1 ? ['--workers', String(workers)] : []),
  ];
  // A published port needs a network; the port is bound to 127.0.0.1 only.
  const networkMode = input.network || !unix ? 'bridge' : 'none';
  return {
    name: input.name,
    Image: input.image,
    Cmd: cmd,
    User: `${user.uid}:${user.gid}`,
    ...(input.shmDir ? { Env: [`${SHM_DIR_ENV}=${SHM_CONTAINER_DIR}`] } : {}),
    Labels: {
      [LABEL.name]: input.modelName,
      [LABEL.folder]: input.folder,
      [LABEL.mode]: input.mode,
      ...(input.address ? { [LABEL.address]: input.address } : {}),
      ...(input.socketDir ? { [LABEL.socketDir]: input.socketDir } : {}),
      ...(input.shmDir ? { [LABEL.shmDir]: input.shmDir } : {}),
    },
    ...(unix ? {} : { ExposedPorts: { [`${CONTAINER_PORT}/tcp`]: {} } }),
    HostConfig: {
      Binds: binds,
      NetworkMode: networkMode,
      Memory: parseMemory(input.memory),
      NanoCpus: Math.round(input.cpus * 1e9),
      PidsLimit: 1024,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Init: true,
      ...(unix ? {} : { PortBindings: { [`${CONTAINER_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '' }] } }),
    },
  };
}
