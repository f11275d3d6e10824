/**
 * The messages of the Open Inference Protocol (KServe V2) gRPC service as they travel: field names
 * are the .proto's own (snake_case), so they read the same here, in the runtime and in the spec.
 * Only what PyML uses is typed; the proto file (runtime/pyml/proto/grpc_predict_v2.proto) is the
 * authority.
 *
 * 64-bit integers arrive as decimal strings (exact); `shape` is normalised to numbers by the client.
 */

/** A parameter value before it is put into InferParameter's oneof. */
export type ParamValue = boolean | number | bigint | string;
export type Params = Readonly<Record<string, ParamValue>>;

/** InferParameter on the wire: exactly one field set. */
export interface InferParameter {
  readonly bool_param?: boolean;
  readonly int64_param?: string | number;
  readonly string_param?: string;
  readonly double_param?: number;
  readonly uint64_param?: string | number;
  /** Which oneof field is set (present on decoded messages). */
  readonly parameter_choice?: string;
}

export interface InferTensorContents {
  readonly bool_contents?: readonly boolean[];
  readonly int_contents?: readonly number[];
  readonly int64_contents?: readonly (string | number)[];
  readonly uint_contents?: readonly number[];
  readonly uint64_contents?: readonly (string | number)[];
  readonly fp32_contents?: readonly number[];
  readonly fp64_contents?: readonly number[];
  readonly bytes_contents?: readonly Uint8Array[];
}

export interface InferInputTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly parameters?: Readonly<Record<string, InferParameter>>;
  readonly contents?: InferTensorContents;
}

export interface InferRequestedOutputTensor {
  readonly name: string;
  readonly parameters?: Readonly<Record<string, InferParameter>>;
}

export interface ModelInferRequest {
  readonly model_name: string;
  readonly model_version?: string;
  readonly id?: string;
  readonly parameters?: Readonly<Record<string, InferParameter>>;
  readonly inputs: readonly InferInputTensor[];
  readonly outputs?: readonly InferRequestedOutputTensor[];
  readonly raw_input_contents?: readonly Uint8Array[];
}

export interface InferOutputTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly parameters: Readonly<Record<string, InferParameter>>;
  readonly contents?: InferTensorContents | null;
}

export interface ModelInferResponse {
  readonly model_name: string;
  readonly model_version: string;
  readonly id: string;
  readonly parameters: Readonly<Record<string, InferParameter>>;
  readonly outputs: readonly InferOutputTensor[];
  readonly raw_output_contents: readonly Buffer[];
}

export interface TensorMetadata {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly parameters: Readonly<Record<string, InferParameter>>;
}

export interface ModelMetadataResponse {
  readonly name: string;
  readonly versions: readonly string[];
  readonly platform: string;
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
  readonly parameters: Readonly<Record<string, InferParameter>>;
}

export interface ServerMetadataResponse {
  readonly name: string;
  readonly version: string;
  readonly extensions: readonly string[];
}

/** SystemSharedMemoryStatusResponse.RegionStatus (Triton's system shared-memory extension). */
export interface SharedMemoryRegionStatus {
  readonly name: string;
  readonly key: string;
  readonly offset: number;
  readonly byte_size: number;
}

export interface ModelIndexEntry {
  readonly name: string;
  readonly version: string;
  readonly state: string;
  readonly reason: string;
}

/** Puts a plain value into InferParameter's oneof (integers as int64, other numbers as double). */
export function toInferParameter(value: ParamValue): InferParameter {
  switch (typeof value) {
    case 'boolean':
      return { bool_param: value };
    case 'string':
      return { string_param: value };
    case 'bigint':
      return { int64_param: value.toString() };
    case 'number':
      return Number.isInteger(value) ? { int64_param: value } : { double_param: value };
  }
}

export function toInferParameters(params: Params | undefined): Record<string, InferParameter> {
  const out: Record<string, InferParameter> = {};
  for (const [key, value] of Object.entries(params ?? {})) out[key] = toInferParameter(value);
  return out;
}

/** The plain value of a decoded InferParameter; 64-bit integers beyond 2^53 stay exact as bigint. */
export function fromInferParameter(p: InferParameter): ParamValue | undefined {
  const choice = p.parameter_choice ?? Object.keys(p).find((k) => (p as Record<string, unknown>)[k] !== undefined);
  switch (choice) {
    case 'bool_param':
      return p.bool_param;
    case 'string_param':
      return p.string_param;
    case 'double_param':
      return p.double_param;
    case 'int64_param':
    case 'uint64_param': {
      const int = choice === 'int64_param' ? p.int64_param : p.uint64_param;
      if (int === undefined) return undefined;
      const big = BigInt(int);
      return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    }
    default:
      return undefined;
  }
}

export function fromInferParameters(params: Readonly<Record<string, InferParameter>> | undefined): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const [key, p] of Object.entries(params ?? {})) {
    const value = fromInferParameter(p);
    if (value !== undefined) out[key] = value;
  }
  return out;
}
