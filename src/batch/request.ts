/**
 * One batch as a ModelInferRequest and its answer as columns: the same encoding as every other
 * request of the extension (protocol/arrowCodec.ts: one tensor per column, raw contents, the
 * `content_type: "pd"` parameter for DataFrame models).
 */
import * as arrow from 'apache-arrow';
import type { Field, Manifest } from '../model/manifest';
import { CodecError, decodeOutputs, encodeTable, encodeTensors, inferRequest, type AnyTable, type AnyVector, type TensorHeader } from '../protocol/arrowCodec';
import { fromInferParameters, type ModelInferRequest, type ModelInferResponse } from '../protocol/v2types';
import type { V2Datatype } from '../model/dtypes';

export type RequestModel = Pick<Manifest, 'name' | 'kind' | 'inputs' | 'outputs'>;

/** The request for a table holding exactly the model's inputs (in manifest order). */
export function toInferRequest(model: RequestModel, inputs: arrow.Table, id?: string): ModelInferRequest {
  const encoded =
    model.kind === 'dataframe'
      ? encodeTable(inputs as AnyTable)
      : encodeTensors(
          model.inputs.map((f) => {
            const values = inputs.getChild(f.name);
            if (!values) throw new CodecError(f.name, 'column is missing from the batch');
            return { name: f.name, shape: tensorShape(f, inputs.numRows), values, datatype: f.datatype };
          }),
        );
  return inferRequest(model.name, encoded, id);
}

/** [rows] or [rows, 1], as the tensor is declared. */
function tensorShape(f: Field, rows: number): number[] {
  return f.shape && f.shape.length === 2 ? [rows, 1] : [rows];
}

/**
 * The model's outputs, in manifest order, each `rows` long; throws naming the output that is
 * missing, has another datatype or another row count.
 */
export function fromInferResponse(model: RequestModel, response: ModelInferResponse, rows: number): AnyVector[] {
  const wire = response.outputs.map((o, i) => ({
    header: { name: o.name, datatype: o.datatype as V2Datatype, shape: o.shape, parameters: fromInferParameters(o.parameters) } satisfies TensorHeader,
    raw: response.raw_output_contents[i],
    contents: o.contents ?? undefined,
  }));
  const texts = new Map(model.outputs.map((f) => [f.name, f.dtype !== 'bytes']));
  const decoded = decodeOutputs(wire);
  return model.outputs.map((f) => {
    const t = decoded.find((d) => d.name === f.name);
    if (!t) throw new CodecError(f.name, `the model's answer has no output '${f.name}' (it has: ${decoded.map((d) => d.name).join(', ') || 'none'})`);
    if (t.datatype !== f.datatype) throw new CodecError(f.name, `the answer holds ${t.datatype}, pyml.yaml declares ${f.datatype}`);
    const n = t.shape[0] ?? 1;
    if (n !== rows || t.values.length !== rows) throw new CodecError(f.name, `the answer has ${n} rows for a batch of ${rows}`);
    if (t.datatype !== 'BYTES') return t.values;
    return texts.get(f.name) === true ? asUtf8(f.name, t.values) : asBinary(t.values);
  });
}

/** BYTES outputs declared `string` must be text (decodeOutputs decides by content when unmarked). */
function asUtf8(name: string, values: AnyVector): AnyVector {
  if (arrow.DataType.isUtf8(values.type)) return values;
  throw new CodecError(name, 'is declared string, but the answer holds bytes that are not UTF-8 text');
}

/** BYTES outputs declared `bytes` stay bytes even when they happen to be valid UTF-8. */
function asBinary(values: AnyVector): AnyVector {
  if (!arrow.DataType.isUtf8(values.type)) return values;
  return arrow.makeVector(values.data.map((d) => d.clone(new arrow.Binary())));
}
