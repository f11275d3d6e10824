/**
 * Where the Docker engine is: pure logic over the environment and a few files, in the order the
 * docker CLI uses, plus the usual socket paths of Docker Engine, Docker Desktop, rootless Docker,
 * Podman, Colima, Rancher Desktop and OrbStack when nothing is configured.
 */
import { createHash } from 'crypto';
import * as path from 'path';

export type EndpointSource = 'setting' | 'DOCKER_HOST' | 'context' | 'default';

export interface DockerEndpoint {
  /** `unix:///path`, `npipe:////./pipe/name`, `tcp://host:port` or `ssh://user@host`. */
  readonly url: string;
  readonly source: EndpointSource;
  /** Where the address came from, for messages: "the pyml.docker.host setting", "docker context 'colima'". */
  readonly origin: string;
  /** TLS material of a docker context (ca.pem, cert.pem, key.pem). */
  readonly tlsDir?: string;
  readonly skipTlsVerify?: boolean;
}

/** What discovery reads; tests pass fakes. */
export interface DiscoveryEnv {
  readonly setting: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly platform: NodeJS.Platform;
  readonly home: string;
  readonly readFile: (file: string) => string | undefined;
  readonly exists: (file: string) => boolean;
}

/**
 * The engines to try, best first. An address the user configured (setting, DOCKER_HOST, a docker
 * context) is the only candidate: falling back silently to another engine would surprise. Otherwise
 * every usual socket that exists, or the platform default when none does (for the error message).
 */
export function candidateEndpoints(d: DiscoveryEnv): DockerEndpoint[] {
  if (d.setting.trim()) return [{ url: d.setting.trim(), source: 'setting', origin: 'the pyml.docker.host setting' }];
  const dockerHost = d.env['DOCKER_HOST']?.trim();
  if (dockerHost) return [{ url: dockerHost, source: 'DOCKER_HOST', origin: 'DOCKER_HOST' }];
  const context = currentContextEndpoint(d);
  if (context) return [context];
  const found = defaultSockets(d).filter((url) => d.exists(socketFile(url)));
  const urls = found.length > 0 ? found : [platformDefault(d.platform)];
  return urls.map((url) => ({ url, source: 'default', origin: 'the usual socket paths' }));
}

/** The platform's standard engine address. */
export function platformDefault(platform: NodeJS.Platform): string {
  return platform === 'win32' ? 'npipe:////./pipe/docker_engine' : 'unix:///var/run/docker.sock';
}

/** The docker CLI's configuration folder: DOCKER_CONFIG or ~/.docker. */
export function dockerConfigDir(d: Pick<DiscoveryEnv, 'env' | 'home'>): string {
  return d.env['DOCKER_CONFIG']?.trim() || path.join(d.home, '.docker');
}

/** The endpoint of the current docker context (DOCKER_CONTEXT, else config.json's currentContext). */
export function currentContextEndpoint(d: DiscoveryEnv): DockerEndpoint | undefined {
  const configDir = dockerConfigDir(d);
  let name = d.env['DOCKER_CONTEXT']?.trim();
  if (!name) {
    const config = parseJson(d.readFile(path.join(configDir, 'config.json')));
    const current = config?.['currentContext'];
    name = typeof current === 'string' ? current : undefined;
  }
  if (!name || name === 'default') return undefined;
  const id = contextId(name);
  const meta = parseJson(d.readFile(path.join(configDir, 'contexts', 'meta', id, 'meta.json')));
  const endpoints = meta?.['Endpoints'];
  const docker = isRecord(endpoints) ? endpoints['docker'] : undefined;
  const host = isRecord(docker) ? docker['Host'] : undefined;
  if (typeof host !== 'string' || !host) return undefined;
  const tlsDir = path.join(configDir, 'contexts', 'tls', id, 'docker');
  return {
    url: host,
    source: 'context',
    origin: `docker context '${name}'`,
    ...(d.exists(path.join(tlsDir, 'ca.pem')) ? { tlsDir } : {}),
    ...(isRecord(docker) && docker['SkipTLSVerify'] === true ? { skipTlsVerify: true } : {}),
  };
}

/** The folder name of a docker context's metadata: the SHA-256 of its name, in hex. */
export function contextId(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

/** The usual engine sockets of a platform, most common first. */
export function defaultSockets(d: Pick<DiscoveryEnv, 'platform' | 'home' | 'env'>): string[] {
  if (d.platform === 'win32') {
    return ['npipe:////./pipe/docker_engine', 'npipe:////./pipe/dockerDesktopLinuxEngine', 'npipe:////./pipe/podman-machine-default'];
  }
  const home = d.home;
  const runtimeDir = d.env['XDG_RUNTIME_DIR']?.trim();
  const unix = (p: string): string => `unix://${p}`;
  const sockets = [
    '/var/run/docker.sock',
    path.join(home, '.docker', 'run', 'docker.sock'), // Docker Desktop (macOS)
    path.join(home, '.docker', 'desktop', 'docker.sock'), // Docker Desktop (Linux)
    ...(runtimeDir ? [path.join(runtimeDir, 'docker.sock')] : []), // rootless Docker
    ...(runtimeDir ? [path.join(runtimeDir, 'podman', 'podman.sock')] : []), // Podman (rootless)
    '/run/podman/podman.sock', // Podman (root)
    path.join(home, '.colima', 'default', 'docker.sock'),
    path.join(home, '.rd', 'docker.sock'), // Rancher Desktop
    path.join(home, '.orbstack', 'run', 'docker.sock'),
  ];
  return [...new Set(sockets)].map(unix);
}

/** The file of a `unix://` address; other addresses unchanged. */
export function socketFile(url: string): string {
  return url.startsWith('unix://') ? url.slice('unix://'.length) : url;
}

export type ConnectionTarget =
  | { readonly kind: 'socket'; readonly socketPath: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly tls: boolean }
  | { readonly kind: 'ssh'; readonly host: string; readonly port: number; readonly username?: string };

/** How to open an endpoint's address; throws naming the address when it cannot be used. */
export function connectionTarget(url: string, env: Readonly<Record<string, string | undefined>> = {}): ConnectionTarget {
  if (url.startsWith('unix://')) return { kind: 'socket', socketPath: socketFile(url) };
  if (url.startsWith('npipe://')) return { kind: 'socket', socketPath: url.slice('npipe://'.length) };
  if (url.startsWith('/')) return { kind: 'socket', socketPath: url };
  let parsed: URL;
  try {
    parsed = new URL(url.includes('://') ? url : `tcp://${url}`);
  } catch {
    throw new Error(`'${url}' is not a Docker engine address (expected unix://, npipe://, tcp:// or ssh://)`);
  }
  const tlsFromEnv = Boolean(env['DOCKER_TLS_VERIFY']?.trim()) && env['DOCKER_TLS_VERIFY'] !== '0';
  switch (parsed.protocol) {
    case 'tcp:':
    case 'http:':
    case 'https:': {
      const tls = parsed.protocol === 'https:' || tlsFromEnv || parsed.port === '2376';
      const port = parsed.port ? Number(parsed.port) : tls ? 2376 : 2375;
      return { kind: 'tcp', host: parsed.hostname, port, tls };
    }
    case 'ssh:':
      return {
        kind: 'ssh',
        host: parsed.hostname,
        port: parsed.port ? Number(parsed.port) : 22,
        ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
      };
    default:
      throw new Error(`'${url}' is not a Docker engine address (expected unix://, npipe://, tcp:// or ssh://)`);
  }
}

function parseJson(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
