/** Open Inference Protocol (V2) datatypes and the manifest's dtype names that map to them. */
export const V2_DATATYPES = [
  'BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64',
  'FP16', 'FP32', 'FP64', 'BYTES',
] as const;

export type V2Datatype = (typeof V2_DATATYPES)[number];

const FROM_NUMPY: Readonly<Record<string, V2Datatype>> = {
  bool: 'BOOL',
  int8: 'INT8', int16: 'INT16', int32: 'INT32', int64: 'INT64',
  uint8: 'UINT8', uint16: 'UINT16', uint32: 'UINT32', uint64: 'UINT64',
  float16: 'FP16', float32: 'FP32', float64: 'FP64',
  string: 'BYTES', str: 'BYTES', bytes: 'BYTES',
};

/** The V2 datatype of a manifest dtype (`float64` or `FP64`), or undefined when it is not one. */
export function toV2Datatype(dtype: string): V2Datatype | undefined {
  if ((V2_DATATYPES as readonly string[]).includes(dtype)) return dtype as V2Datatype;
  return FROM_NUMPY[dtype];
}

/** Bytes per element of a fixed-width datatype; undefined for BYTES. */
export function elementSize(datatype: V2Datatype): number | undefined {
  switch (datatype) {
    case 'BOOL': case 'UINT8': case 'INT8': return 1;
    case 'UINT16': case 'INT16': case 'FP16': return 2;
    case 'UINT32': case 'INT32': case 'FP32': return 4;
    case 'UINT64': case 'INT64': case 'FP64': return 8;
    case 'BYTES': return undefined;
  }
}
