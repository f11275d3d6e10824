/** The failures of building and running model containers, each with a message that says what to do. */
import type { FileDiagnostic } from './buildLog';

/** No Docker engine answers: the one message, whatever the platform. */
export class DockerUnavailableError extends Error {
  override readonly name = 'DockerUnavailableError';
  constructor(
    /** The address that was tried. */
    readonly url: string,
    /** Where the address came from ("DOCKER_HOST", "the usual socket paths" ...). */
    readonly origin: string,
    /** The low-level reason (ECONNREFUSED, ENOENT ...). */
    readonly reason: string,
    readonly platform: NodeJS.Platform = process.platform,
  ) {
    super(dockerUnavailableMessage(url, origin, reason, platform));
  }
}

export function dockerUnavailableMessage(url: string, origin: string, reason: string, platform: NodeJS.Platform): string {
  const denied = /EACCES|permission denied/i.test(reason);
  const what = denied
    ? `Docker is not reachable: permission denied on ${url}. Add your user to the 'docker' group (sudo usermod -aG docker $USER, then log in again).`
    : `Docker is not running: no Docker engine answers at ${url} (from ${origin}; ${reason}).`;
  if (denied) return what;
  const start =
    platform === 'linux'
      ? 'Start it (sudo systemctl start docker, or Docker Desktop / Podman: systemctl --user start podman.socket)'
      : 'Start Docker Desktop (or Podman / Colima / Rancher Desktop)';
  return `${what} ${start}, or set pyml.docker.host to the engine's address, then Retry.`;
}

/** The build failed at a step; `diagnostics` point into requirements.txt / packages.txt when they can. */
export class BuildFailedError extends Error {
  override readonly name = 'BuildFailedError';
  constructor(
    message: string,
    /** One-based step number of the failing Dockerfile instruction, when known. */
    readonly step: number | undefined,
    /** The failing instruction, e.g. `RUN python3 -m pip install ...`. */
    readonly instruction: string | undefined,
    readonly diagnostics: readonly FileDiagnostic[],
    /** The last lines of the build output. */
    readonly logTail: readonly string[],
    /** The model folder built: its build's own log opens with `pyml.showBuildLog`. */
    readonly folder?: string,
  ) {
    super(message);
  }
}

export class BuildCancelledError extends Error {
  override readonly name = 'BuildCancelledError';
  constructor() {
    super('The build was cancelled.');
  }
}

/** The model container stopped: while starting, or while a request was in flight. */
export class ContainerExitedError extends Error {
  override readonly name = 'ContainerExitedError';
  constructor(
    readonly when: 'starting' | 'request' | 'reload',
    readonly exitCode: number | undefined,
    readonly logTail: readonly string[],
    readonly oomKilled = false,
  ) {
    super(containerExitedMessage(when, exitCode, logTail, oomKilled));
  }
}

function containerExitedMessage(
  when: ContainerExitedError['when'],
  exitCode: number | undefined,
  logTail: readonly string[],
  oomKilled: boolean,
): string {
  const code = exitCode === undefined ? '' : ` with code ${exitCode}`;
  const why = oomKilled ? ' (out of memory: raise pyml.run.memory)' : exitCode === 137 ? ' (killed)' : '';
  const during = when === 'starting' ? ' while starting' : when === 'reload' ? ' during a reload' : ' during the request';
  const tail = logTail.length > 0 ? `\nLast lines of its log:\n${logTail.join('\n')}` : '';
  return `The model container exited${code}${why}${during}.${tail}`;
}

/** The model did not become ready in time. */
export class ReadinessTimeoutError extends Error {
  override readonly name = 'ReadinessTimeoutError';
  constructor(
    readonly timeoutMs: number,
    readonly lastProblem: string,
    readonly logTail: readonly string[],
  ) {
    const tail = logTail.length > 0 ? `\nLast lines of its log:\n${logTail.join('\n')}` : '';
    super(`The model was not ready after ${Math.round(timeoutMs / 1000)} s (${lastProblem}).${tail}`);
  }
}
