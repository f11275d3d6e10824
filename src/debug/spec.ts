/**
 * What debugging changes in a model container (pure): debugpy started by the runtime, and the way in.
 *
 * Unix socket transport (Linux engines): the runtime's debugpy listens on 127.0.0.1 inside the
 * container and a relay in the runtime exposes it as `debug.sock` in the socket folder that is
 * bind-mounted already; the container keeps `--network none`, nothing is published.
 * TCP transport (Docker Desktop, where a socket cannot cross): debugpy listens in the container and
 * its port is published on the host's 127.0.0.1 only, as the gRPC port is.
 */
import type { ContainerCreateOptions } from 'dockerode';
import * as path from 'path';
import type Docker from 'dockerode';
import { IMAGE_PATHS } from '../container/labels';

export const DEBUG_SOCKET_FILE = 'debug.sock';
/** debugpy's port inside the container on the TCP transport. */
export const DEBUG_CONTAINER_PORT = 5678;
/** Container label: `unix` or `tcp`, how its debugger is reached. */
export const DEBUG_LABEL = 'dev.pyml.debug';

export interface DebugContainerOptions {
  /** Hold the model's construction until a debugger attaches (breakpoints in `__init__`). */
  readonly wait: boolean;
}

/** Where the extension reaches a debug container's DAP endpoint. */
export type DebugEndpoint = { readonly kind: 'unix'; readonly path: string } | { readonly kind: 'tcp'; readonly host: '127.0.0.1'; readonly port: number };

/** Whether a container spec uses the Unix socket transport (the socket folder is bind-mounted). */
export function usesSocketFolder(spec: ContainerCreateOptions): boolean {
  return (spec.HostConfig?.Binds ?? []).some((b) => b.split(':')[1] === IMAGE_PATHS.socketDir);
}

/** Adds the debugger to a model container's create options. */
export function addDebugger(spec: ContainerCreateOptions, options: DebugContainerOptions): void {
  const unix = usesSocketFolder(spec);
  const where = unix
    ? ['--debug-socket', `${IMAGE_PATHS.socketDir}/${DEBUG_SOCKET_FILE}`]
    : ['--debug-port', String(DEBUG_CONTAINER_PORT), '--debug-host', '0.0.0.0'];
  // -Xfrozen_modules=off: Python 3.11+ would otherwise warn that breakpoints may be missed.
  spec.Entrypoint = ['python3', '-Xfrozen_modules=off', '-m', 'pyml'];
  spec.Cmd = [...(spec.Cmd ?? []), ...where, ...(options.wait ? ['--debug-wait'] : [])];
  spec.Env = [...(spec.Env ?? []), 'PYDEVD_DISABLE_FILE_VALIDATION=1'];
  spec.Labels = { ...spec.Labels, [DEBUG_LABEL]: unix ? 'unix' : 'tcp' };
  if (unix) return;
  const port = `${DEBUG_CONTAINER_PORT}/tcp`;
  spec.ExposedPorts = { ...spec.ExposedPorts, [port]: {} };
  const host = spec.HostConfig ?? {};
  // Published on the host's loopback only; the TCP transport already runs on a bridge network.
  const bindings = (host.PortBindings ?? {}) as Record<string, { HostIp: string; HostPort: string }[]>;
  host.PortBindings = { ...bindings, [port]: [{ HostIp: '127.0.0.1', HostPort: '' }] };
  spec.HostConfig = host;
}

/** The DAP endpoint of a started debug container; undefined when it has none (yet). */
export function debugEndpoint(socketDir: string | undefined, info: Docker.ContainerInspectInfo): DebugEndpoint | undefined {
  if (socketDir !== undefined) return { kind: 'unix', path: path.join(socketDir, DEBUG_SOCKET_FILE) };
  const port = info.NetworkSettings.Ports[`${DEBUG_CONTAINER_PORT}/tcp`]?.[0]?.HostPort;
  return port ? { kind: 'tcp', host: '127.0.0.1', port: Number(port) } : undefined;
}
