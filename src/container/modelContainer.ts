/**
 * A running model container and its gRPC client. Calls through it fail with "the model container
 * exited" (and the tail of its log) when the container stops while they are in flight, instead of
 * a bare transport error.
 */
import type Docker from 'dockerode';
import type { ModelInferRequest, ModelInferResponse } from '../protocol/v2types';
import { V2Client, V2Error, type CallOptions, type V2ClientOptions } from '../protocol/v2client';
import { removeShmFolder } from '../protocol/shmFolder';
import { forgetSharedMemory, rememberSharedMemory } from '../protocol/shmLocal';
import { ContainerExitedError } from './containerErrors';
import { logTail } from './logs';
import type { RunMode } from './runSpec';
import { removeSocketDir } from './socketDir';

export interface ModelContainerInfo {
  readonly id: string;
  readonly name: string;
  readonly modelName: string;
  /** Absolute host path of the model folder. */
  readonly folder: string;
  readonly mode: RunMode;
  readonly image: string;
  /** gRPC address on the host: `unix:///...` or `127.0.0.1:port`. */
  readonly address: string;
  /** The bind-mounted socket folder (Unix transport). */
  readonly socketDir?: string;
  /** The host folder of its shared-memory regions (under /dev/shm), mounted into it alone. */
  readonly shmDir?: string;
}

/** How the container's gRPC client is made. */
export interface ModelClientOptions {
  readonly protoPath: string;
  readonly maxMessageBytes: number;
  /** With a shared-memory folder: requests of at least this many bytes go through it (absent: never). */
  readonly sharedMemoryThresholdBytes?: number;
}

export interface ExitInfo {
  readonly exitCode: number | undefined;
  readonly oomKilled: boolean;
}

export type ModelCall = 'request' | 'reload';

/** How long a broken connection waits for the engine to report the container's exit. */
const EXIT_GRACE_MS = 3000;

export class ModelContainer {
  readonly client: V2Client;
  /** How its client was made: another thread makes its own client to the container from this (plain data). */
  readonly clientSpec: { readonly address: string; readonly options: V2ClientOptions };
  /** Resolves when the container stops (never rejects; stays pending when the engine connection is lost). */
  readonly exited: Promise<ExitInfo>;
  private exit: ExitInfo | undefined;
  private readonly inflight = new Set<() => void>();
  private closed = false;

  constructor(
    readonly container: Docker.Container,
    readonly info: ModelContainerInfo,
    clientOptions: ModelClientOptions,
    /** `next-exit` for a container not started yet, `not-running` for one found running. */
    waitCondition: 'next-exit' | 'not-running',
  ) {
    const { sharedMemoryThresholdBytes: thresholdBytes, ...options } = clientOptions;
    const sharedMemory = info.shmDir && thresholdBytes !== undefined ? { dir: info.shmDir, thresholdBytes } : undefined;
    this.clientSpec = { address: info.address, options: { ...options, ...(sharedMemory ? { sharedMemory } : {}) } };
    this.client = new V2Client(info.address, this.clientSpec.options);
    // Every other client on this address (the panel, the Test Explorer) uses the same folder.
    if (sharedMemory) rememberSharedMemory(this.client.address, sharedMemory);
    this.exited = this.watchExit(waitCondition);
  }

  /** The exit, once the container has stopped. */
  get exitInfo(): ExitInfo | undefined {
    return this.exit;
  }

  infer(request: ModelInferRequest, options: CallOptions = {}): Promise<ModelInferResponse> {
    return this.call('request', (client, signal) => client.modelInfer(request, { ...options, signal }), options.signal);
  }

  /** Reloads the model from its folder (dev mode); a failure carries the model's Python error. */
  reload(deadlineMs = 120_000): Promise<void> {
    // An empty name means "the served model", which stays right when pyml.yaml renames it.
    return this.call('reload', (client, signal) => client.repositoryModelLoad('', { deadlineMs, signal }));
  }

  /** Runs a call that is abandoned with ContainerExitedError when the container stops meanwhile. */
  async call<T>(when: ModelCall, fn: (client: V2Client, signal: AbortSignal) => Promise<T>, callerSignal?: AbortSignal): Promise<T> {
    if (this.exit) throw await this.exitError(when, this.exit);
    const ctrl = new AbortController();
    const signal = callerSignal ? AbortSignal.any([callerSignal, ctrl.signal]) : ctrl.signal;
    let onExit: () => void = () => undefined;
    const exitedMeanwhile = new Promise<'exited'>((resolve) => {
      onExit = () => {
        ctrl.abort();
        resolve('exited');
      };
      this.inflight.add(onExit);
    });
    try {
      const outcome = await Promise.race([fn(this.client, signal).then((value) => ({ value })), exitedMeanwhile]);
      if (outcome === 'exited') throw await this.exitError(when, this.exit);
      return outcome.value;
    } catch (err) {
      throw await this.failureOf(when, err, callerSignal?.aborted ?? false);
    } finally {
      this.inflight.delete(onExit);
    }
  }

  /**
   * What a failed call to this container is to the caller: when the connection broke (or the call was
   * cancelled without the caller asking) and the container is gone, "the model container exited" with
   * its log, rather than "UNAVAILABLE"; otherwise the error as it is. For calls made by another client
   * of the container (a batch thread's) as for its own.
   */
  async failureOf(when: ModelCall, err: unknown, cancelledByCaller: boolean): Promise<unknown> {
    if (err instanceof V2Error && (err.isConnectionFailure || (err.codeName === 'CANCELLED' && !cancelledByCaller))) {
      // The engine learns of a kill a moment after the socket closes: wait for the exit, bounded.
      const exit = this.exitInfo ?? (await this.exitWithin(EXIT_GRACE_MS)) ?? (await this.stoppedState());
      if (exit) return this.exitError(when, exit);
    }
    return err;
  }

  /** Stops and removes the container and its socket folder; closes the client. */
  async stop(timeoutSeconds = 10): Promise<void> {
    this.close();
    try {
      await this.container.stop({ t: timeoutSeconds });
    } catch (err) {
      if (!isGone(err) && !isNotModified(err)) throw err;
    }
    await removeContainer(this.container);
    if (this.info.socketDir) await removeSocketDir({ dir: this.info.socketDir });
    await this.removeSharedMemory();
  }

  /** The container stopped: its shared-memory folder goes with it. */
  private async removeSharedMemory(): Promise<void> {
    if (!this.info.shmDir) return;
    forgetSharedMemory(this.client.address, this.info.shmDir);
    await removeShmFolder(this.info.shmDir);
  }

  /** Closes the gRPC client; the container keeps running. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }

  async exitError(when: ModelCall | 'starting', exit: ExitInfo | undefined): Promise<ContainerExitedError> {
    const info = exit ?? this.exit;
    return new ContainerExitedError(when, info?.exitCode, await logTail(this.container, 30), info?.oomKilled ?? false);
  }

  private async watchExit(condition: 'next-exit' | 'not-running'): Promise<ExitInfo> {
    let result: { StatusCode?: number } | undefined;
    try {
      result = (await this.container.wait({ condition })) as { StatusCode?: number };
    } catch {
      // The engine went away (or the container was removed before we asked): inspect tells which.
      const stopped = await this.stoppedState();
      if (!stopped) return new Promise<ExitInfo>(() => undefined);
      return this.settle(stopped);
    }
    const oomKilled = await this.container
      .inspect()
      .then((i) => i.State.OOMKilled)
      .catch(() => false);
    return this.settle({ exitCode: result.StatusCode, oomKilled });
  }

  private settle(exit: ExitInfo): ExitInfo {
    this.exit = exit;
    this.removeSharedMemory().catch(() => undefined);
    for (const notify of [...this.inflight]) notify();
    return exit;
  }

  private exitWithin(ms: number): Promise<ExitInfo | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => {
        resolve(undefined);
      }, ms);
    });
    return Promise.race([this.exited, timeout]).finally(() => {
      clearTimeout(timer);
    });
  }

  /** The exit when the container is not running (or gone), else undefined. */
  private async stoppedState(): Promise<ExitInfo | undefined> {
    try {
      const state = (await this.container.inspect()).State;
      return state.Running ? undefined : { exitCode: state.ExitCode, oomKilled: state.OOMKilled };
    } catch (err) {
      return isGone(err) ? { exitCode: undefined, oomKilled: false } : undefined;
    }
  }
}

export async function removeContainer(container: Docker.Container): Promise<void> {
  try {
    await container.remove({ force: true, v: true });
  } catch (err) {
    if (!isGone(err) && !isRemovalInProgress(err)) throw err;
  }
}

export function statusCodeOf(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

function isGone(err: unknown): boolean {
  return statusCodeOf(err) === 404;
}

function isNotModified(err: unknown): boolean {
  return statusCodeOf(err) === 304;
}

function isRemovalInProgress(err: unknown): boolean {
  return statusCodeOf(err) === 409 && /removal of container .* is already in progress/i.test(err instanceof Error ? err.message : '');
}
