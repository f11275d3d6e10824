/**
 * The connection to the Docker engine through dockerode: the first candidate address that answers
 * a ping (discovery.ts decides the candidates), or one DockerUnavailableError.
 */
import Docker from 'dockerode';
import { existsSync, readFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { candidateEndpoints, connectionTarget, type DiscoveryEnv, type DockerEndpoint } from './discovery';
import { DockerUnavailableError } from './containerErrors';

export interface Engine {
  readonly docker: Docker;
  readonly endpoint: DockerEndpoint;
  readonly serverVersion: string;
  readonly apiVersion: string;
  /** `Docker Desktop`, `Debian GNU/Linux 12 (bookworm)`, ... */
  readonly operatingSystem: string;
  /** Whether a Unix socket in a host folder can be bind-mounted into containers and reached from here. */
  readonly socketsCrossIntoContainers: boolean;
  /** Rootless Docker or Podman: the container's root is the host user, other uids are unmapped. */
  readonly rootless: boolean;
}

export interface ConnectOptions {
  /** The pyml.docker.host setting ('' when unset). */
  readonly setting: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly platform?: NodeJS.Platform;
  readonly home?: string;
  /** How long a candidate may take to answer its ping. */
  readonly pingTimeoutMs?: number;
}

/** Connects to the first engine that answers; throws DockerUnavailableError naming the first candidate. */
export async function connectEngine(options: ConnectOptions): Promise<Engine> {
  const env = options.env ?? process.env;
  const discovery: DiscoveryEnv = {
    setting: options.setting,
    env,
    platform: options.platform ?? process.platform,
    home: options.home ?? os.homedir(),
    readFile: (file) => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return undefined;
      }
    },
    exists: (file) => existsSync(file),
  };
  const candidates = candidateEndpoints(discovery);
  let firstFailure: DockerUnavailableError | undefined;
  for (const endpoint of candidates) {
    try {
      return await tryEndpoint(endpoint, env, discovery.platform, options.pingTimeoutMs ?? 5000);
    } catch (err) {
      firstFailure ??= new DockerUnavailableError(endpoint.url, endpoint.origin, reasonOf(err), discovery.platform);
    }
  }
  throw firstFailure ?? new DockerUnavailableError('(none)', 'discovery', 'no candidate address', discovery.platform);
}

async function tryEndpoint(
  endpoint: DockerEndpoint,
  env: Readonly<Record<string, string | undefined>>,
  platform: NodeJS.Platform,
  pingTimeoutMs: number,
): Promise<Engine> {
  const docker = new Docker(dockerOptions(endpoint, env));
  // dockerode passes abortSignal through for these calls; its type declarations omit it.
  const probe = docker as unknown as {
    ping(o: { abortSignal: AbortSignal }): Promise<unknown>;
    version(o: { abortSignal: AbortSignal }): Promise<Docker.DockerVersion>;
    info(o: { abortSignal: AbortSignal }): Promise<{ OperatingSystem?: string; SecurityOptions?: string[] }>;
  };
  await probe.ping({ abortSignal: AbortSignal.timeout(pingTimeoutMs) });
  const [version, info] = await Promise.all([
    probe.version({ abortSignal: AbortSignal.timeout(pingTimeoutMs) }),
    probe.info({ abortSignal: AbortSignal.timeout(pingTimeoutMs) }),
  ]);
  const operatingSystem = info.OperatingSystem ?? '';
  return {
    docker,
    endpoint,
    serverVersion: version.Version,
    apiVersion: version.ApiVersion,
    operatingSystem,
    socketsCrossIntoContainers: socketsCross(endpoint.url, platform, operatingSystem),
    rootless: (info.SecurityOptions ?? []).some((o) => o.includes('name=rootless')),
  };
}

/** Whether a connected engine still answers a ping. */
export function engineAnswers(engine: Engine, timeoutMs = 3000): Promise<boolean> {
  const probe = engine.docker as unknown as { ping(o: { abortSignal: AbortSignal }): Promise<unknown> };
  return probe.ping({ abortSignal: AbortSignal.timeout(timeoutMs) }).then(
    () => true,
    () => false,
  );
}

/**
 * A Unix socket in a bind-mounted host folder is reachable from both sides only when the engine
 * runs on this Linux host itself: not with Docker Desktop (a VM, also on Linux), nor a remote engine.
 */
export function socketsCross(url: string, platform: NodeJS.Platform, operatingSystem: string): boolean {
  if (platform !== 'linux') return false;
  if (!url.startsWith('unix://') && !url.startsWith('/')) return false;
  return !/docker desktop/i.test(operatingSystem);
}

function dockerOptions(endpoint: DockerEndpoint, env: Readonly<Record<string, string | undefined>>): Docker.DockerOptions {
  const target = connectionTarget(endpoint.url, env);
  // Every field is set: dockerode merges DOCKER_HOST's defaults under what we pass.
  const base = { host: undefined, port: undefined, socketPath: undefined, protocol: undefined } as const;
  switch (target.kind) {
    case 'socket':
      return { ...base, socketPath: target.socketPath };
    case 'ssh':
      return {
        ...base,
        protocol: 'ssh',
        host: target.host,
        port: target.port,
        ...(target.username ? { username: target.username } : {}),
        ...(env['SSH_AUTH_SOCK'] ? { sshOptions: { agent: env['SSH_AUTH_SOCK'] } } : {}),
      };
    case 'tcp': {
      if (!target.tls) return { ...base, protocol: 'http', host: target.host, port: target.port };
      const certDir = endpoint.tlsDir ?? env['DOCKER_CERT_PATH'] ?? path.join(os.homedir(), '.docker');
      const read = (name: string): Buffer | undefined => {
        try {
          return readFileSync(path.join(certDir, name));
        } catch {
          return undefined;
        }
      };
      const ca = read('ca.pem');
      const cert = read('cert.pem');
      const key = read('key.pem');
      return {
        ...base,
        protocol: 'https',
        host: target.host,
        port: target.port,
        ...(ca ? { ca } : {}),
        ...(cert ? { cert } : {}),
        ...(key ? { key } : {}),
      };
    }
  }
}

function reasonOf(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'no answer in time';
    return code ?? err.message;
  }
  return String(err);
}
