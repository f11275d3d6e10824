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
import { ERROR_TRAILER } from './wire';
import type {
  ModelIndexEntry,
  ModelInferRequest,
  ModelInferResponse,
  ModelMetadataResponse,
  ServerMetadataResponse,
} from './v2types';

export const SERVICE_NAME = 'inference.GRPCInferenceService';

export interface V2ClientOptions {
  /** Absolute path of grpc_predict_v2.proto. */
  readonly protoPath: string;
  /** Largest message sent or received, in bytes. */
  readonly maxMessageBytes: number;
  /** Deadline of calls that give none, in milliseconds (default 10 s; inference and loads give their own). */
  readonly defaultDeadlineMs?: number;
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

  constructor(address: string, options: V2ClientOptions) {
    this.address = normalizeAddress(address);
    this.service = serviceDefinition(options.protoPath);
    this.defaultDeadlineMs = options.defaultDeadlineMs ?? 10_000;
    this.client = new grpc.Client(this.address, grpc.credentials.createInsecure(), {
      'grpc.max_send_message_length': options.maxMessageBytes,
      'grpc.max_receive_message_length': options.maxMessageBytes,
      // A model container that restarts is found again quickly.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
    });
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

  async modelInfer(request: ModelInferRequest, options?: CallOptions): Promise<ModelInferResponse> {
    const r = await this.call<ModelInferResponse>('ModelInfer', request, options);
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

  /** Resolves once the channel is connected, or rejects after `deadlineMs`. */
  waitForConnected(deadlineMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.waitForReady(Date.now() + deadlineMs, (err) => {
        if (err) reject(err);
        else resolve();
      });
    });
  }

  close(): void {
    this.client.close();
  }

  private call<Res>(method: string, request: object, options: CallOptions = {}): Promise<Res> {
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
      const call = this.client.makeUnaryRequest<object, Res>(
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
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function toV2Error(method: string, err: grpc.ServiceError): V2Error {
  const trailer = err.metadata.get(ERROR_TRAILER)[0];
  const report = trailer === undefined ? undefined : parseModelErrorReport(trailer);
  return new V2Error(method, err.code, err.details || err.message, report);
}

function statusName(code: grpc.status): string {
  return (grpc.status as Record<number, string | undefined>)[code] ?? String(code);
}
