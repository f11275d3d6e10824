/**
 * Big requests through shared memory instead of gRPC bytes, as Triton's system shared-memory
 * extension defines it: the client writes the inputs into a region file of the container's region
 * folder (shmFolder.ts), registers the region once (SystemSharedMemoryRegister: name, key, offset,
 * byte size), and sends a ModelInferRequest whose tensors carry parameters instead of raw contents:
 *
 *   shared_memory_region (string), shared_memory_offset (int64), shared_memory_byte_size (int64)
 *
 * Requested outputs carry the same parameters; the server writes them into the region and answers
 * with their parameters (byte size = bytes written) and an empty raw entry, which this module fills
 * from the region, so callers see the same response as through gRPC bytes.
 *
 * A request goes this way when its raw inputs reach the threshold (pyml.sharedMemory.thresholdMB);
 * smaller ones, typed contents, and servers without the extension use gRPC bytes. Regions are files
 * that grow as needed and are reused, one per request in flight; close() unregisters and removes them.
 */
import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import { elementSize, toV2Datatype } from '../model/dtypes';
import { SpareBuffers } from '../shared/spareBuffers';
import type { InferParameter, ModelInferRequest, ModelInferResponse, ModelMetadataResponse } from './v2types';
import { CONTENT_TYPE, CONTENT_TYPE_DATAFRAME } from './wire';

export const REGION_PARAM = 'shared_memory_region';
export const OFFSET_PARAM = 'shared_memory_offset';
export const SIZE_PARAM = 'shared_memory_byte_size';
const SHM_PARAMS = new Set([REGION_PARAM, OFFSET_PARAM, SIZE_PARAM]);
/** ServerMetadata.extensions of a server that has it. */
export const SHM_EXTENSION = 'system_shared_memory';
export const DEFAULT_SHM_THRESHOLD_BYTES = 1024 * 1024;

/** Most bytes of recycled answer buffers a channel keeps. */
const SPARE_BYTES = 64 * 2 ** 20;

/** Inputs and outputs start on this boundary inside a region. */
const ALIGN = 64;

export interface SharedMemoryOptions {
  /** The host folder shared with the server (for a model container: its region folder). */
  readonly dir: string;
  /** Requests whose raw inputs hold at least this many bytes go through shared memory. */
  readonly thresholdBytes: number;
}

export interface ShmCallOptions {
  readonly deadlineMs?: number;
  readonly signal?: AbortSignal;
}

/** What the channel needs of the gRPC client. */
export interface ShmServer {
  register(name: string, key: string, offset: number, byteSize: number, options?: ShmCallOptions): Promise<void>;
  unregister(name: string, options?: ShmCallOptions): Promise<void>;
  modelMetadata(name: string, version: string, options?: ShmCallOptions): Promise<ModelMetadataResponse>;
  infer(request: ModelInferRequest, options?: ShmCallOptions): Promise<ModelInferResponse>;
}

interface Region {
  readonly name: string;
  readonly file: string;
  readonly handle: fs.FileHandle;
  capacity: number;
  registered: boolean;
}

interface OutputPlan {
  readonly name: string;
  /** Where it goes in the region, when it goes there. */
  readonly slot?: { readonly offset: number; readonly byteSize: number };
}

/** A V2 error that says the server cannot do shared memory at all (old runtime, no folder). */
function unsupported(err: unknown): boolean {
  const code = (err as { codeName?: unknown } | undefined)?.codeName;
  return code === 'UNIMPLEMENTED' || code === 'FAILED_PRECONDITION';
}

function outputTooSmall(err: unknown): boolean {
  const e = err as { codeName?: unknown; details?: unknown } | undefined;
  return e?.codeName === 'INVALID_ARGUMENT' && typeof e.details === 'string' && /^output '.*': needs \d+ bytes/.test(e.details);
}

export class SharedMemoryChannel {
  private readonly prefix = `pyml-${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly free: Region[] = [];
  private readonly all = new Set<Region>();
  private readonly metadata = new Map<string, Promise<ModelMetadataResponse>>();
  private counter = 0;
  /** Answer buffers this channel filled, and those handed back (recycle) for the next answers, by size. */
  private readonly issued = new WeakSet<Uint8Array>();
  private readonly spare = new SpareBuffers<Buffer>(SPARE_BYTES, (n) => Buffer.allocUnsafe(n));
  private disabled: string | undefined;
  private closed = false;

  constructor(
    private readonly server: ShmServer,
    readonly options: SharedMemoryOptions,
  ) {}

  /** Why requests go through gRPC bytes although they are big (the server said so once), if they do. */
  get disabledReason(): string | undefined {
    return this.disabled;
  }

  /** Whether a request is worth sending through shared memory. */
  wants(request: ModelInferRequest): boolean {
    if (this.disabled !== undefined || this.closed) return false;
    const raw = request.raw_input_contents;
    if (!raw || raw.length === 0 || raw.length !== request.inputs.length) return false;
    if (request.inputs.some((t) => t.parameters && REGION_PARAM in t.parameters)) return false;
    if (request.outputs?.some((o) => o.parameters && REGION_PARAM in o.parameters)) return false;
    let bytes = 0;
    for (const r of raw) bytes += r.byteLength;
    return bytes >= this.options.thresholdBytes;
  }

  /** ModelInfer with inputs (and fixed-width outputs) in shared memory; the same response as through gRPC bytes. */
  async infer(request: ModelInferRequest, options: ShmCallOptions = {}): Promise<ModelInferResponse> {
    const raw = request.raw_input_contents ?? [];
    const offsets: number[] = [];
    let end = 0;
    for (const r of raw) {
      offsets.push(end);
      end = align(end + r.byteLength);
    }
    const outputs = await this.planOutputs(request, end, options);
    const need = outputs.reduce((n, o) => Math.max(n, o.slot ? o.slot.offset + o.slot.byteSize : 0), end);
    let region: Region;
    try {
      region = await this.acquire(need, options);
    } catch (err) {
      if (!unsupported(err)) throw err;
      this.disabled = err instanceof Error ? err.message : String(err);
      return this.server.infer(request, options);
    }
    try {
      await writeSlots(region.handle, raw.map((data, i) => ({ offset: offsets[i] ?? 0, data })));
      const shmRequest: ModelInferRequest = {
        ...request,
        inputs: request.inputs.map((t, i) => ({
          ...t,
          parameters: { ...(t.parameters ?? {}), ...slotParams(region.name, offsets[i] ?? 0, raw[i]?.byteLength ?? 0) },
        })),
        outputs: outputs.map((o) => ({
          name: o.name,
          parameters: {
            ...(request.outputs?.find((r) => r.name === o.name)?.parameters ?? {}),
            ...(o.slot ? slotParams(region.name, o.slot.offset, o.slot.byteSize) : {}),
          },
        })),
        raw_input_contents: [],
      };
      let response: ModelInferResponse;
      try {
        response = await this.server.infer(shmRequest, options);
      } catch (err) {
        // An output bigger than its slot (a model that changes the row count): once more, outputs as gRPC bytes.
        if (!outputTooSmall(err)) throw err;
        response = await this.server.infer({ ...shmRequest, outputs: outputs.map((o) => ({ name: o.name, parameters: {} })) }, options);
      }
      return await this.readOutputs(region, response);
    } finally {
      this.release(region);
    }
  }

  /**
   * Takes back the raw outputs of an answer this channel gave, once the caller holds no view of them
   * (batch prediction, after its writer has written them out; the panel, once an answer leaves its
   * kept history): the next answers of the same sizes are read into them (SpareBuffers).
   * Buffers it did not give, or given back twice, are ignored; it keeps at most SPARE_BYTES.
   */
  recycle(response: ModelInferResponse): void {
    if (this.closed) return;
    for (const raw of response.raw_output_contents) {
      if (!this.issued.has(raw) || !Buffer.isBuffer(raw)) continue;
      this.issued.delete(raw);
      this.spare.giveBack(raw);
    }
  }

  /** A buffer for an answer's output: a spare one of that size, or a new one. */
  private outputBuffer(byteSize: number): Buffer {
    const buffer = this.spare.take(byteSize);
    this.issued.add(buffer);
    return buffer;
  }

  /** Unregisters and removes this channel's regions. */
  async close(): Promise<void> {
    this.closed = true;
    this.spare.clear();
    const regions = [...this.all];
    this.all.clear();
    this.free.length = 0;
    await Promise.all(
      regions.map(async (r) => {
        if (r.registered) await this.server.unregister(r.name, { deadlineMs: 2000 }).catch(() => undefined);
        await r.handle.close().catch(() => undefined);
        await fs.rm(r.file, { force: true });
      }),
    );
  }

  // ---- outputs -------------------------------------------------------------------------------

  /**
   * The outputs to ask for, in the model's order: each fixed-width output whose size follows from
   * the request (a DataFrame column has the request's rows; a tensor output with only its first
   * dimension variable has the request's first dimension) gets a slot after the inputs; the others
   * (BYTES, unknown sizes) come back as gRPC bytes. Requests that name their outputs keep that list.
   */
  private async planOutputs(request: ModelInferRequest, start: number, options: ShmCallOptions): Promise<OutputPlan[]> {
    const meta = await this.modelMetadata(request.model_name, request.model_version ?? '', options);
    const asked = request.outputs && request.outputs.length > 0 ? new Set(request.outputs.map((o) => o.name)) : undefined;
    const rows = request.inputs[0]?.shape[0] ?? 0;
    const dataframe = meta.parameters[CONTENT_TYPE]?.string_param === CONTENT_TYPE_DATAFRAME;
    const plans: OutputPlan[] = [];
    let at = start;
    for (const out of meta.outputs) {
      if (asked && !asked.has(out.name)) continue;
      const datatype = toV2Datatype(out.datatype.toUpperCase());
      const size = datatype ? elementSize(datatype) : undefined;
      const elements = dataframe ? rows : tensorElements(out.shape, rows);
      if (size === undefined || elements === undefined) {
        plans.push({ name: out.name });
        continue;
      }
      const byteSize = size * elements;
      plans.push({ name: out.name, slot: { offset: at, byteSize } });
      at = align(at + byteSize);
    }
    if (asked) for (const name of asked) if (!plans.some((p) => p.name === name)) plans.push({ name });
    return plans;
  }

  private modelMetadata(name: string, version: string, options: ShmCallOptions): Promise<ModelMetadataResponse> {
    const key = `${name}\0${version}`;
    let meta = this.metadata.get(key);
    if (!meta) {
      meta = this.server.modelMetadata(name, version, options);
      this.metadata.set(key, meta);
      meta.catch(() => this.metadata.delete(key));
    }
    return meta;
  }

  /** The response with each output that was written into the region read back as its raw entry. */
  private async readOutputs(region: Region, response: ModelInferResponse): Promise<ModelInferResponse> {
    const raw = [...response.raw_output_contents];
    const slots: { offset: number; data: Buffer }[] = [];
    const outputs = response.outputs.map((o, i) => {
      const p = o.parameters[REGION_PARAM];
      if (!p) return o;
      if (p.string_param !== region.name) throw new Error(`output '${o.name}' came back in region '${p.string_param ?? ''}', not in '${region.name}'`);
      const offset = Number(o.parameters[OFFSET_PARAM]?.int64_param ?? 0);
      const byteSize = Number(o.parameters[SIZE_PARAM]?.int64_param ?? 0);
      const data = this.outputBuffer(byteSize);
      raw[i] = data;
      slots.push({ offset, data });
      const parameters = Object.fromEntries(Object.entries(o.parameters).filter(([k]) => !SHM_PARAMS.has(k)));
      return { ...o, parameters };
    });
    await readSlots(region.handle, slots);
    return { ...response, outputs, raw_output_contents: raw };
  }

  // ---- regions -------------------------------------------------------------------------------

  /** A registered region of at least `bytes`, for one request. */
  private async acquire(bytes: number, options: ShmCallOptions): Promise<Region> {
    const capacity = Math.max(ALIGN, 2 ** Math.ceil(Math.log2(Math.max(bytes, 1))));
    const fits = this.free.findIndex((r) => r.capacity >= bytes);
    let region: Region;
    if (fits >= 0) {
      region = this.free.splice(fits, 1)[0] as Region;
      return region;
    }
    const smaller = this.free.pop();
    if (smaller) {
      region = smaller;
      if (region.registered) {
        await this.server.unregister(region.name, options);
        region.registered = false;
      }
    } else {
      const name = `${this.prefix}-${this.counter++}`;
      const file = path.join(this.options.dir, name);
      const handle = await fs.open(file, 'wx+', 0o600);
      region = { name, file, handle, capacity: 0, registered: false };
      this.all.add(region);
      await this.giveToFolderOwner(file);
    }
    try {
      await region.handle.truncate(capacity);
      region.capacity = capacity;
      await this.server.register(region.name, `/${region.name}`, 0, capacity, options);
      region.registered = true;
    } catch (err) {
      this.release(region);
      throw err;
    }
    return region;
  }

  private release(region: Region): void {
    if (this.closed || !this.all.has(region)) return;
    this.free.push(region);
  }

  /** When we are root and the container runs as another user (the folder's owner), the file is theirs too. */
  private async giveToFolderOwner(file: string): Promise<void> {
    const me = process.getuid?.();
    if (me !== 0) return;
    const owner = await fs.stat(this.options.dir);
    if (owner.uid !== 0) await fs.chown(file, owner.uid, owner.gid);
  }
}

function slotParams(region: string, offset: number, byteSize: number): Record<string, InferParameter> {
  return {
    [REGION_PARAM]: { string_param: region },
    [OFFSET_PARAM]: { int64_param: offset },
    [SIZE_PARAM]: { int64_param: byteSize },
  };
}

function tensorElements(shape: readonly number[], rows: number): number | undefined {
  let n = 1;
  for (const [i, d] of shape.entries()) {
    if (d >= 0) n *= d;
    else if (i === 0) n *= rows;
    else return undefined;
  }
  return n;
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

interface Slot {
  readonly offset: number;
  readonly data: Uint8Array;
}

/** Zeros between slots that are written in one call (alignment padding). */
const GAP = Buffer.alloc(ALIGN);

/**
 * Slots in offset order, grouped into runs whose gaps are alignment padding: each run is one vectored
 * call (pwritev/preadv), so a request's inputs (and an answer's outputs) cost one system call each
 * way, not one per column. Gaps are written from (or read into) `pad`.
 */
function runsOf(slots: readonly Slot[], pad: Uint8Array): Call[] {
  const runs: Call[] = [];
  let last: Call | undefined;
  for (const s of [...slots].sort((a, b) => a.offset - b.offset)) {
    if (s.data.byteLength === 0) continue;
    const end = last ? last.offset + last.bytes : -1;
    const gap = s.offset - end;
    if (last && gap >= 0 && gap < ALIGN) {
      if (gap > 0) last.buffers.push(pad.subarray(0, gap));
      last.buffers.push(s.data);
      last.bytes += gap + s.data.byteLength;
    } else {
      last = { offset: s.offset, buffers: [s.data], bytes: s.data.byteLength };
      runs.push(last);
    }
  }
  return runs;
}

/** The buffers from `done` bytes on (after a short vectored call). */
function after(buffers: readonly Uint8Array[], done: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  let skip = done;
  for (const b of buffers) {
    if (skip >= b.byteLength) {
      skip -= b.byteLength;
      continue;
    }
    rest.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return rest;
}

/**
 * A request or answer of at least this many bytes is moved in pieces of PIECE_BYTES, all at once (on
 * libuv's threads): the copy into fresh memory is paid mostly in page faults, which several threads
 * take in parallel. Smaller ones take one vectored call per run (one system call, no thread hops).
 */
const PARALLEL_BYTES = 8 * 2 ** 20;
const PIECE_BYTES = 4 * 2 ** 20;

type Call = { offset: number; buffers: Uint8Array[]; bytes: number };

function callsOf(slots: readonly Slot[], pad: Uint8Array): Call[] {
  const total = slots.reduce((n, s) => n + s.data.byteLength, 0);
  if (total < PARALLEL_BYTES) return runsOf(slots, pad);
  const calls: Call[] = [];
  for (const s of slots) {
    for (let at = 0; at < s.data.byteLength; at += PIECE_BYTES) {
      const piece = s.data.subarray(at, Math.min(s.data.byteLength, at + PIECE_BYTES));
      calls.push({ offset: s.offset + at, buffers: [piece], bytes: piece.byteLength });
    }
  }
  return calls;
}

async function writeCall(handle: fs.FileHandle, call: Call): Promise<void> {
  let done = 0;
  while (done < call.bytes) {
    const { bytesWritten } = await handle.writev(done === 0 ? call.buffers : after(call.buffers, done), call.offset + done);
    done += bytesWritten;
  }
}

async function readCall(handle: fs.FileHandle, call: Call): Promise<void> {
  let done = 0;
  while (done < call.bytes) {
    const { bytesRead } = await handle.readv(done === 0 ? call.buffers : after(call.buffers, done), call.offset + done);
    if (bytesRead === 0) throw new Error(`the shared-memory region ended ${call.bytes - done} bytes early`);
    done += bytesRead;
  }
}

async function writeSlots(handle: fs.FileHandle, slots: readonly Slot[]): Promise<void> {
  await Promise.all(callsOf(slots, GAP).map((c) => writeCall(handle, c)));
}

/** Reads the region's bytes into the slots (gaps into scratch), whose buffers the caller owns. */
async function readSlots(handle: fs.FileHandle, slots: readonly Slot[]): Promise<void> {
  const scratch = Buffer.allocUnsafe(ALIGN); // the padding between outputs is read here and dropped
  await Promise.all(callsOf(slots, scratch).map((c) => readCall(handle, c)));
}
