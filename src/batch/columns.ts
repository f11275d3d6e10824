/**
 * How the columns of a batch input meet the model's inputs: the V2 datatype a column holds, the
 * widening casts allowed, the type of a key column in the output. Plain data: no I/O.
 */
import * as arrow from 'apache-arrow';
import type { V2Datatype } from '../model/dtypes';
import { v2DatatypeOf } from '../protocol/arrowCodec';
import type { SourceField } from '../tables/fields';

/** The V2 datatype a source field holds, when it holds one. */
export function sourceDatatype(field: SourceField): V2Datatype | undefined {
  return field.type.kind === 'typed' ? v2DatatypeOf(field.type.type) : undefined;
}

/**
 * Whether values of `from` may be given to a model input declared `to` without loss: the same
 * datatype, or a cast numpy calls "safe" (int32 -> int64, float32 -> float64, uint8 -> int16 ...).
 */
export function canWiden(from: V2Datatype, to: V2Datatype): boolean {
  if (from === to) return true;
  const a = numeric(from);
  const b = numeric(to);
  if (!a || !b) return false;
  if (a.kind === 'f') return b.kind === 'f' && b.bits > a.bits;
  if (b.kind === 'f') return b.bits > a.bits; // int8/16 -> float32, int8/16/32 -> float64 (and float16 for 8-bit)
  if (a.kind === b.kind) return b.bits > a.bits;
  if (a.kind === 'u' && b.kind === 'i') return b.bits > a.bits;
  return false; // signed -> unsigned never is
}

function numeric(datatype: V2Datatype): { kind: 'i' | 'u' | 'f'; bits: number } | undefined {
  const m = /^(INT|UINT|FP)(\d+)$/.exec(datatype);
  if (!m?.[1] || !m[2]) return undefined;
  return { kind: m[1] === 'INT' ? 'i' : m[1] === 'UINT' ? 'u' : 'f', bits: Number(m[2]) };
}

/** The lower-case dtype name of a V2 datatype, as pyml.yaml spells it. */
export function dtypeName(datatype: V2Datatype): string {
  switch (datatype) {
    case 'BOOL': return 'bool';
    case 'BYTES': return 'string/bytes';
    case 'FP16': return 'float16';
    case 'FP32': return 'float32';
    case 'FP64': return 'float64';
    default: return datatype.toLowerCase();
  }
}

/** The Arrow type of a key column in the output: its own type when V2 can carry it, else text. */
export function keyArrowType(field: SourceField): { type: arrow.DataType; asText: boolean } {
  switch (field.type.kind) {
    case 'typed': {
      const t = field.type.type;
      if (arrow.DataType.isDictionary(t)) return { type: t.dictionary as arrow.DataType, asText: false };
      if (t.typeId === arrow.Type.LargeUtf8) return { type: new arrow.Utf8(), asText: false };
      if (t.typeId === arrow.Type.LargeBinary) return { type: new arrow.Binary(), asText: false };
      return v2DatatypeOf(t) ? { type: t, asText: false } : { type: new arrow.Utf8(), asText: true };
    }
    case 'json':
      // Text and mixed JSON values are written as text (objects and lists as JSON).
      return { type: field.type.type, asText: arrow.DataType.isUtf8(field.type.type) };
    case 'unsupported':
    case 'text':
      return { type: new arrow.Utf8(), asText: field.type.kind === 'unsupported' };
  }
}
