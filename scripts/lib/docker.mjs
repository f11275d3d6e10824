// The Docker engine: find one that answers (DOCKER_HOST, docker context), or install and start dockerd.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ensurePackages, hasApt, isRoot } from './apt.mjs';
import { SetupError, formatDuration, info } from './log.mjs';
import { cacheDir, logsDir } from './paths.mjs';
import { run, waitFor, which } from './proc.mjs';

const DEFAULT_SOCKET = 'unix:///var/run/docker.sock';
const START_TIMEOUT_MS = 90_000;

/**
 * @typedef {object} DockerEngine
 * @property {string} cli      the docker CLI used (negotiates the API version with older engines)
 * @property {string} host     the engine address, for DOCKER_HOST of tests and the extension
 * @property {string} version  the engine's server version
 * @property {boolean} started whether this run started dockerd
 */

/** The docker CLI: PATH first (a newer CLI negotiates down to dockerd 20.10's API 1.41), then Debian's. */
export function dockerCli() {
  return which('docker') ?? (fs.existsSync('/usr/bin/docker') ? '/usr/bin/docker' : undefined);
}

/**
 * The engine address the CLI would use: DOCKER_HOST, else the current docker context's endpoint.
 * @param {string} cli
 */
async function engineAddress(cli) {
  if (process.env.DOCKER_HOST) return process.env.DOCKER_HOST;
  const ctx = await run(cli, ['context', 'inspect', '--format', '{{.Endpoints.docker.Host}}'], { timeoutMs: 10_000 });
  return ctx.code === 0 && ctx.stdout.trim() ? ctx.stdout.trim() : DEFAULT_SOCKET;
}

/**
 * The engine's version when it answers, else undefined.
 * @param {string} cli
 */
async function serverVersion(cli) {
  const r = await run(cli, ['version', '--format', '{{.Server.Version}}'], { timeoutMs: 15_000 });
  const v = r.stdout.trim();
  return r.code === 0 && v ? v : undefined;
}

/**
 * Uses a Docker engine that answers, or installs docker.io and starts dockerd (Debian, root).
 * @returns {Promise<DockerEngine>}
 */
export async function ensureDocker() {
  let cli = dockerCli();
  if (cli) {
    const host = await engineAddress(cli);
    const version = await serverVersion(cli);
    if (version) {
      info(`Docker engine ${version} answers at ${host} (CLI ${cli})`);
      return { cli, host, version, started: false };
    }
    if (host !== DEFAULT_SOCKET) {
      throw new SetupError(`No Docker engine answers at ${host} (from ${process.env.DOCKER_HOST ? 'DOCKER_HOST' : 'the current docker context'}).\nStart that engine, or unset DOCKER_HOST / run \`docker context use default\` to use a local one.`);
    }
  }
  if (process.platform !== 'linux' || !hasApt() || !isRoot()) {
    throw new SetupError('No Docker engine answers.\n'
      + '  - Docker Desktop: start it and check `docker info`.\n'
      + '  - Debian/Ubuntu: sudo apt-get install -y docker.io && sudo systemctl start docker (or run this as root: it starts dockerd itself).');
  }
  // With its recommends, as checked by hand (apparmor, cgroupfs-mount, xz-utils ...).
  await ensurePackages(['docker.io'], 'the Docker engine', { recommends: true });
  cli = dockerCli();
  if (!cli) throw new SetupError('docker.io is installed but no docker CLI was found (expected /usr/bin/docker).');
  // The package's init script may have started the engine already (where policy-rc.d allows it).
  const running = await serverVersion(cli);
  if (running) {
    info(`Docker engine ${running} answers at ${DEFAULT_SOCKET}`);
    return { cli, host: DEFAULT_SOCKET, version: running, started: false };
  }
  const version = await startDockerd(cli);
  return { cli, host: DEFAULT_SOCKET, version, started: true };
}

/**
 * Starts dockerd in the background (it outlives this script) and waits until it answers.
 * @param {string} cli
 * @returns {Promise<string>} the server version
 */
async function startDockerd(cli) {
  const dockerd = which('dockerd') ?? '/usr/sbin/dockerd';
  fs.mkdirSync(logsDir, { recursive: true });
  const logFile = path.join(logsDir, 'dockerd.log');
  const logFd = fs.openSync(logFile, 'a');
  info(`starting ${dockerd} in the background (log: ${path.relative(process.cwd(), logFile) || logFile})`);
  const child = spawn(dockerd, [], { detached: true, stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  /** @type {string | undefined} */
  let exited;
  child.on('exit', (code, signal) => { exited = `dockerd exited (${signal ?? code})`; });
  child.on('error', (err) => { exited = `dockerd could not start: ${err.message}`; });
  child.unref();
  if (child.pid) fs.writeFileSync(path.join(cacheDir, 'dockerd.pid'), `${child.pid}\n`);
  const started = Date.now();
  try {
    const version = await waitFor(async () => {
      const answer = await serverVersion(cli);
      if (answer) return answer;
      if (exited) throw new Error(exited);
      return undefined;
    }, { timeoutMs: START_TIMEOUT_MS, intervalMs: 300, what: 'dockerd to answer on /var/run/docker.sock' });
    info(`dockerd ${version} answers after ${formatDuration(Date.now() - started)}`);
    return version;
  } catch (err) {
    const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-10).join('\n');
    throw new SetupError(`${err instanceof Error ? err.message : err}\nLast lines of ${logFile}:\n${tail}`);
  }
}

/**
 * Environment for processes that talk to the engine (tests, code-server's extension host).
 * Engines older than 23 get the classic builder: a newer CLI without buildx cannot build against them.
 * @param {DockerEngine} engine
 * @returns {Record<string, string>}
 */
export function dockerEnv(engine) {
  const major = Number.parseInt(engine.version, 10);
  return { DOCKER_HOST: engine.host, ...(major < 23 ? { DOCKER_BUILDKIT: '0' } : {}) };
}
