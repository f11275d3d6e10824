/**
 * A typed client for the Open Inference Protocol (KServe V2) gRPC service,
 * `inference.GRPCInferenceService`, over a Unix socket (`unix:///path`) or TCP (`host:port`).
 *
 * Free of VS Code: the container code, the test-prediction panel, batch prediction and the tests use it
 * alike. The .proto is loaded at run time from the file the runtime ships (one source of truth).
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { withFastInferSerializer } from './inferRequestBytes';
import { parseModelErrorReport, summarizeModelError, type ModelErrorReport } from './modelError';
import { ERROR_TRAILER, WORKERS_HEADER } from './wire';
import { WorkerBalancer, workerAddresses, workerUnreachable, type WorkerTarget } from './workerBalancer';
import { SharedMemoryChannel, type SharedMemoryOptions } from './shmChannel';
import { sharedMemoryOf } from './shmLocal';
import type {
  ModelIndexEntry,
  ModelInferRequest,
  ModelInferResponse,
  ModelMetadataResponse,
  ServerMetadataResponse,
  SharedMemoryRegionStatus,
} from './v2types';

export const SERVICE_NAME = 'inference.GRPCInferenceService';

export interface V2ClientOptions {
  /** Absolute path of grpc_predict_v2.proto. */
  readonly protoPath: string;
  /** Largest message sent or received, in bytes. */
  readonly maxMessageBytes: number;
  /** Deadline of calls that give none, in milliseconds (default 10 s; inference and loads give their own). */
  readonly defaultDeadlineMs?: number;
  /**
   * Spread ModelInfer calls over the worker processes of a PyML container that advertises them (default
   * true; see workerBalancer.ts). Off: every call goes to the address as given.
   */
  readonly balanceWorkers?: boolean;
  /**
   * Big requests through this folder's shared memory (Triton's system shared-memory extension); by
   * default the folder the container layer recorded for this address (shmLocal.ts), if any; `false`:
   * always gRPC bytes.
   */
  readonly sharedMemory?: SharedMemoryOptions | false;
}

export interface CallOptions {
  /** Milliseconds from now until the call is abandoned with DEADLINE_EXCEEDED. */
  readonly deadlineMs?: number;
  /** Aborting cancels the call (the caller gets CANCELLED). */
  readonly signal?: AbortSignal;
}

/** A failed call: the gRPC status, and the model's Python error when the runtime sent one. */
export class V2Error extends Error {
  override readonly name = 'V2Error';
  constructor(
    readonly method: string,
    readonly code: grpc.status,
    readonly details: string,
    readonly report: ModelErrorReport | undefined,
  ) {
    super(report ? `${method}: ${summarizeModelError(report)}` : `${method} failed (${statusName(code)}): ${details}`);
  }

  get codeName(): string {
    return statusName(this.code);
  }

  /** The server could not be reached or the connection broke: worth checking whether it still runs. */
  get isConnectionFailure(): boolean {
    return this.code === grpc.status.UNAVAILABLE;
  }

  /** UNAVAILABLE without a worker's mark: the call never reached a model process. */
  unreachableWorker = false;
}

/** `unix:///abs/path` for socket paths, else the address as given (`host:port`). */
export function normalizeAddress(address: string): string {
  const a = address.trim();
  if (a.startsWith('unix://')) return a.startsWith('unix:///') ? a : `unix:///${a.slice('unix://'.length)}`;
  if (a.startsWith('unix:')) return `unix://${a.slice('unix:'.length)}`;
  if (a.startsWith('/')) return `unix://${a}`;
  return a.replace(/^(?:grpc|http):\/\//, '');
}

const definitions = new Map<string, grpc.ServiceDefinition>();

function serviceDefinition(protoPath: string): grpc.ServiceDefinition {
  let def = definitions.get(protoPath);
  if (!def) {
    const pkg = protoLoader.loadSync(protoPath, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
    const service = pkg[SERVICE_NAME];
    if (!service || !('ModelInfer' in service)) throw new Error(`${protoPath} does not define ${SERVICE_NAME}`);
    def = withFastInferSerializer(service);
    definitions.set(protoPath, def);
  }
  return def;
}

export class V2Client {
  readonly address: string;
  private readonly client: grpc.Client;
  private readonly service: grpc.ServiceDefinition;
  private readonly defaultDeadlineMs: number;
  private readonly channelOptions: grpc.ChannelOptions;
  /** The container's worker processes, once asked (undefined: not asked yet or not a multi-worker server). */
  private workers: Promise<WorkerBalancer | undefined> | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly shm: SharedMemoryChannel | undefined;

  constructor(address: string, options: V2ClientOptions) {
    this.address = normalizeAddress(address);
    this.service = serviceDefinition(options.protoPath);
    this.defaultDeadlineMs = options.defaultDeadlineMs ?? 10_000;
    this.channelOptions = {
      'grpc.max_send_message_length': options.maxMessageBytes,
      'grpc.max_receive_message_length': options.maxMessageBytes,
      // A model container that restarts is found again quickly.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
    };
    this.client = new grpc.Client(this.address, grpc.credentials.createInsecure(), this.channelOptions);
    if (options.balanceWorkers === false || !this.address.startsWith('unix:')) this.workers = Promise.resolve(undefined);
    const shm = options.sharedMemory === false ? undefined : (options.sharedMemory ?? sharedMemoryOf(this.address));
    this.shm = shm
      ? new SharedMemoryChannel(
          {
            register: (name, key, offset, byteSize, o) => this.systemSharedMemoryRegister(name, key, offset, byteSize, o),
            unregister: (name, o) => this.systemSharedMemoryUnregister(name, o),
            modelMetadata: (name, version, o) => this.modelMetadata(name, version, o),
            infer: (request, o) => this.grpcInfer(request, o),
          },
          shm,
        )
      : undefined;
  }

  /** Hands an answer's raw outputs back for reuse once nothing holds a view of them (SharedMemoryChannel.recycle). */
  recycle(response: ModelInferResponse): void {
    this.shm?.recycle(response);
  }

  /** The shared-memory channel of big requests, when this client has one. */
  get sharedMemory(): SharedMemoryChannel | undefined {
    return this.shm;
  }

  /** How many worker processes this client spreads its inference calls over (0: none, every call goes to the address). */
  async workerCount(): Promise<number> {
    return (await this.workerAddresses()).length;
  }

  /** The worker sockets this client spreads its inference calls over (empty: none, every call goes to the address). */
  async workerAddresses(): Promise<string[]> {
    return (await this.balancer())?.addresses ?? [];
  }

  async serverLive(options?: CallOptions): Promise<boolean> {
    const r = await this.call<{ live: boolean }>('ServerLive', {}, options);
    return r.live;
  }

  async serverReady(options?: CallOptions): Promise<boolean> {
    const r = await this.call<{ ready: boolean }>('ServerReady', {}, options);
    return r.ready;
  }

  async modelReady(name: string, version = '', options?: CallOptions): Promise<boolean> {
    const r = await this.call<{ ready: boolean }>('ModelReady', { name, version }, options);
    return r.ready;
  }

  serverMetadata(options?: CallOptions): Promise<ServerMetadataResponse> {
    return this.call('ServerMetadata', {}, options);
  }

  async modelMetadata(name: string, version = '', options?: CallOptions): Promise<ModelMetadataResponse> {
    const r = await this.call<ModelMetadataResponse>('ModelMetadata', { name, version }, options);
    return {
      ...r,
      inputs: r.inputs.map((t) => ({ ...t, shape: t.shape.map(Number) })),
      outputs: r.outputs.map((t) => ({ ...t, shape: t.shape.map(Number) })),
    };
  }

  /** ModelInfer; requests over the shared-memory threshold travel through shared memory when the client has a folder. */
  modelInfer(request: ModelInferRequest, options?: CallOptions): Promise<ModelInferResponse> {
    if (this.shm?.wants(request)) return this.shm.infer(request, options);
    return this.grpcInfer(request, options);
  }

  /** ModelInfer with every byte in the gRPC message. */
  async grpcInfer(request: ModelInferRequest, options?: CallOptions): Promise<ModelInferResponse> {
    const r = await this.balancedCall<ModelInferResponse>('ModelInfer', request, options);
    return { ...r, outputs: r.outputs.map((t) => ({ ...t, shape: t.shape.map(Number) })) };
  }

  async repositoryIndex(options?: CallOptions): Promise<readonly ModelIndexEntry[]> {
    const r = await this.call<{ models: ModelIndexEntry[] }>('RepositoryIndex', { repository_name: '', ready: false }, options);
    return r.models;
  }

  /** Loads (or reloads, from disk) a model; a failure carries the model's Python error. */
  async repositoryModelLoad(modelName: string, options?: CallOptions): Promise<void> {
    await this.call('RepositoryModelLoad', { repository_name: '', model_name: modelName, parameters: {} }, options);
  }

  /** System shared-memory extension: the registered regions (all, or the one named), by name. */
  async systemSharedMemoryStatus(name = '', options?: CallOptions): Promise<Readonly<Record<string, SharedMemoryRegionStatus>>> {
    const r = await this.call<{ regions: Record<string, { name: string; key: string; offset: string; byte_size: string }> }>(
      'SystemSharedMemoryStatus',
      { name },
      options,
    );
    const out: Record<string, SharedMemoryRegionStatus> = {};
    for (const [k, v] of Object.entries(r.regions)) out[k] = { name: v.name, key: v.key, offset: Number(v.offset), byte_size: Number(v.byte_size) };
    return out;
  }

  /** System shared-memory extension: registers `byteSize` bytes at `offset` of the shared-memory object `key`. */
  async systemSharedMemoryRegister(name: string, key: string, offset: number, byteSize: number, options?: CallOptions): Promise<void> {
    await this.call('SystemSharedMemoryRegister', { name, key, offset, byte_size: byteSize }, options);
  }

  /** System shared-memory extension: unregisters a region (an empty name: every region). */
  async systemSharedMemoryUnregister(name: string, options?: CallOptions): Promise<void> {
    await this.call('SystemSharedMemoryUnregister', { name }, options);
  }

  /** Resolves once the channel is connected, or rejects after `deadlineMs`. */
  waitForConnected(deadlineMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.waitForReady(Date.now() + deadlineMs, (err) => {
        if (err) reject(err);
        else resolve();
      });
    });
  }

  /** Closes the connection; the shared-memory regions of this client are unregistered and removed first. */
  close(): void {
    void this.shutdown();
  }

  /** close(), resolved once the shared-memory regions are unregistered and their files removed. */
  async shutdown(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.closing = (this.shm ? this.shm.close() : Promise.resolve()).finally(() => {
      this.client.close();
      void this.workers?.then((b) => b?.close(), () => undefined);
    });
    return this.closing;
  }

  /**
   * The balancer over the server's worker processes: asked once, with ServerLive (whose `pyml-workers`
   * header names them), on the first inference call. A server that does not answer yet is asked again
   * on the next call; one without the header is a single process.
   */
  private balancer(): Promise<WorkerBalancer | undefined> {
    this.workers ??= this.discoverWorkers().then(
      (b) => {
        if (this.closed) b?.close();
        return this.closed ? undefined : b;
      },
      () => {
        this.workers = undefined; // not reachable yet: ask again next time
        return undefined;
      },
    );
    return this.workers;
  }

  private async discoverWorkers(): Promise<WorkerBalancer | undefined> {
    let header = '';
    await this.call('ServerLive', {}, { deadlineMs: 5000 }, this.client, (metadata) => {
      header = String(metadata.get(WORKERS_HEADER)[0] ?? '');
    });
    const addresses = workerAddresses(this.address, header);
    return addresses.length ? new WorkerBalancer(addresses, this.channelOptions) : undefined;
  }

  /**
   * A call to the worker with the fewest calls in flight; one that did not reach its worker (dead or
   * restarting) is sent again through the main address, whose forwarder picks a worker that serves.
   */
  private async balancedCall<Res>(method: string, request: object, options: CallOptions = {}): Promise<Res> {
    const balancer = await this.balancer();
    const target: WorkerTarget | undefined = balancer?.acquire();
    if (!balancer || !target) return this.call<Res>(method, request, options);
    try {
      return await this.call<Res>(method, request, options, target.client);
    } catch (err) {
      if (err instanceof V2Error && err.unreachableWorker && !options.signal?.aborted) return await this.call<Res>(method, request, options);
      throw err;
    } finally {
      balancer.release(target);
    }
  }

  private call<Res>(
    method: string,
    request: object,
    options: CallOptions = {},
    client: grpc.Client = this.client,
    onMetadata?: (metadata: grpc.Metadata) => void,
  ): Promise<Res> {
    const def = this.service[method];
    if (!def) return Promise.reject(new Error(`${SERVICE_NAME} has no method ${method}`));
    return new Promise<Res>((resolve, reject) => {
      const { signal } = options;
      if (signal?.aborted) {
        reject(new V2Error(method, grpc.status.CANCELLED, 'cancelled before it was sent', undefined));
        return;
      }
      const deadline = Date.now() + (options.deadlineMs ?? this.defaultDeadlineMs);
      const onAbort = (): void => {
        call.cancel();
      };
      const call = client.makeUnaryRequest<object, Res>(
        def.path,
        def.requestSerialize as (value: object) => Buffer,
        def.responseDeserialize as (value: Buffer) => Res,
        request,
        new grpc.Metadata(),
        { deadline },
        (err, response) => {
          signal?.removeEventListener('abort', onAbort);
          if (err) reject(toV2Error(method, err));
          else if (response === undefined) reject(new V2Error(method, grpc.status.INTERNAL, 'empty response', undefined));
          else resolve(response);
        },
      );
      if (onMetadata) call.on('metadata', onMetadata);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function toV2Error(method: string, err: grpc.ServiceError): V2Error {
  const trailer = err.metadata.get(ERROR_TRAILER)[0];
  const report = trailer === undefined ? undefined : parseModelErrorReport(trailer);
  const error = new V2Error(method, err.code, err.details || err.message, report);
  if (workerUnreachable(err)) error.unreachableWorker = true;
  return error;
}

function statusName(code: grpc.status): string {
  return (grpc.status as Record<number, string | undefined>)[code] ?? String(code);
}
