/**
 * One prediction through the panel's path: Arrow in -> V2 raw contents -> grpc-js -> V2 answer ->
 * Arrow out, with the time of each step and the bytes that travelled.
 */
import * as arrow from 'apache-arrow';
import {
  CodecError,
  decodeOutputs,
  encodeTable,
  encodeTensors,
  inferRequest,
  tensorsToTable,
  type AnyTable,
  type DecodedTensor,
  type EncodedTensors,
  type WireTensor,
} from '../protocol/arrowCodec';
import type { CallOptions, V2Client } from '../protocol/v2client';
import { fromInferParameters, type ModelInferResponse } from '../protocol/v2types';
import { PREDICT_MS_PARAM } from '../protocol/wire';
import type { Sizes, Timings } from '../shared/panelMessages';
import type { PreparedInput } from './inputs';
import { isV2Datatype } from './panelSchema';

export interface InferOutcome {
  readonly outputs: readonly DecodedTensor[];
  /** The outputs side by side; tensors whose first dimensions differ are listed one per row instead. */
  readonly table: AnyTable;
  readonly timings: Timings;
  readonly sizes: Sizes;
  readonly parameters: Readonly<Record<string, unknown>>;
  /**
   * Hands the answer's memory back to the client once the caller holds no view of `outputs` or
   * `table` any more: the next answers of the same sizes are read into it (V2Client.recycle), which
   * spares fresh memory's page faults. Calling it while something still reads the table would let a
   * later answer overwrite it; not calling it is always safe.
   */
  readonly release: () => void;
}

/** Response parameters in which a server may report its own time for the request, in ms. */
const SERVER_TIME_KEYS = [PREDICT_MS_PARAM, 'predict_ms', 'model_ms', 'compute_ms'] as const;

export function encodeInput(input: PreparedInput): EncodedTensors {
  return input.kind === 'table' ? encodeTable(input.table) : encodeTensors(input.tensors);
}

export async function runInference(
  client: V2Client,
  model: string,
  input: PreparedInput,
  options: CallOptions & { readonly id?: string } = {},
): Promise<InferOutcome> {
  const t0 = performance.now();
  const encoded = encodeInput(input);
  const request = inferRequest(model, encoded, options.id ?? '');
  const t1 = performance.now();
  const response = await client.modelInfer(request, options);
  const t2 = performance.now();
  const outputs = decodeResponse(response);
  const table = outputsTable(outputs);
  const t3 = performance.now();
  const parameters = fromInferParameters(response.parameters);
  const serverMs = serverTime(parameters);
  return {
    outputs,
    table,
    timings: { encodeMs: t1 - t0, roundTripMs: t2 - t1, decodeMs: t3 - t2, ...(serverMs === undefined ? {} : { serverMs }) },
    sizes: { requestBytes: encoded.byteLength, responseBytes: responseBytes(response) },
    parameters,
    release: () => {
      client.recycle(response);
    },
  };
}

/** The answer's outputs as Arrow, validity companions folded in. */
export function decodeResponse(response: ModelInferResponse): DecodedTensor[] {
  const raw = response.raw_output_contents;
  const wire: WireTensor[] = response.outputs.map((o, i) => {
    const datatype = o.datatype.toUpperCase();
    if (!isV2Datatype(datatype)) throw new CodecError(o.name, `the answer uses datatype ${o.datatype}, which the panel cannot read`);
    return {
      header: { name: o.name, datatype, shape: o.shape, parameters: fromInferParameters(o.parameters) },
      raw: raw.length > 0 ? raw[i] : undefined,
      contents: o.contents ?? undefined,
    };
  });
  return decodeOutputs(wire);
}

/** Outputs side by side when they share their rows; else a row per tensor (name, datatype, shape, values). */
export function outputsTable(outputs: readonly DecodedTensor[]): AnyTable {
  try {
    return tensorsToTable(outputs);
  } catch (err) {
    if (!(err instanceof CodecError)) throw err;
    const preview = (t: DecodedTensor): string => {
      const shown: string[] = [];
      for (let i = 0; i < Math.min(t.values.length, 50); i++) shown.push(String(t.values.get(i) as unknown));
      return `[${shown.join(', ')}${t.values.length > 50 ? ', ...' : ''}]`;
    };
    return new arrow.Table<Record<string, arrow.DataType>>({
      tensor: arrow.vectorFromArray(outputs.map((t) => t.name), new arrow.Utf8()),
      datatype: arrow.vectorFromArray(outputs.map((t) => t.datatype), new arrow.Utf8()),
      shape: arrow.vectorFromArray(outputs.map((t) => `[${t.shape.join(', ')}]`), new arrow.Utf8()),
      values: arrow.vectorFromArray(outputs.map(preview), new arrow.Utf8()),
    });
  }
}

function serverTime(params: Readonly<Record<string, unknown>>): number | undefined {
  for (const key of SERVER_TIME_KEYS) {
    const v = params[key];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  }
  return undefined;
}

function responseBytes(response: ModelInferResponse): number {
  let n = 0;
  for (const r of response.raw_output_contents) n += r.byteLength;
  if (n > 0) return n;
  for (const o of response.outputs) {
    const c = o.contents;
    if (!c) continue;
    n += 8 * ((c.fp64_contents?.length ?? 0) + (c.int64_contents?.length ?? 0) + (c.uint64_contents?.length ?? 0));
    n += 4 * ((c.fp32_contents?.length ?? 0) + (c.int_contents?.length ?? 0) + (c.uint_contents?.length ?? 0));
    n += c.bool_contents?.length ?? 0;
    for (const b of c.bytes_contents ?? []) n += b.byteLength + 4;
  }
  return n;
}
