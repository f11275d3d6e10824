/**
 * A model's schema as the panel uses it, read from ModelMetadata: works with the PyML runtime
 * (which marks DataFrame models with `content_type: "pd"` and text columns with `content_type: "str"`)
 * and with any other V2 server (MLServer, Triton), whose models are taken as tensor models unless
 * they say otherwise.
 */
import { V2_DATATYPES, type V2Datatype } from '../model/dtypes';
import type { ModelSchema, SchemaField } from '../shared/panelMessages';
import { fromInferParameters, type ModelMetadataResponse, type TensorMetadata } from '../protocol/v2types';
import { CONTENT_TYPE, CONTENT_TYPE_BYTES, CONTENT_TYPE_DATAFRAME } from '../protocol/wire';

export class SchemaError extends Error {
  override readonly name = 'SchemaError';
}

export function schemaFromMetadata(md: ModelMetadataResponse): ModelSchema {
  const params = fromInferParameters(md.parameters);
  const dataframe = params[CONTENT_TYPE] === CONTENT_TYPE_DATAFRAME || params['kind'] === 'dataframe';
  return {
    model: md.name,
    version: md.versions[0] ?? '',
    platform: md.platform,
    kind: dataframe ? 'dataframe' : 'tensor',
    inputs: md.inputs.map((t) => field(md.name, t)),
    outputs: md.outputs.map((t) => field(md.name, t)),
  };
}

function field(model: string, t: TensorMetadata): SchemaField {
  const datatype = t.datatype.toUpperCase();
  if (!isV2Datatype(datatype)) {
    throw new SchemaError(`model '${model}' declares '${t.name}' as ${t.datatype}, which the panel cannot send (it knows ${V2_DATATYPES.join(', ')})`);
  }
  const params = fromInferParameters(t.parameters);
  const text = datatype === 'BYTES' && params[CONTENT_TYPE] !== CONTENT_TYPE_BYTES && params['dtype'] !== 'bytes';
  return { name: t.name, datatype, shape: t.shape.map(Number), text };
}

export function isV2Datatype(s: string): s is V2Datatype {
  return (V2_DATATYPES as readonly string[]).includes(s);
}

/** One line describing an input, for messages: `x (FP64)`, `image (FP32 [-1, 28, 28])`. */
export function describeField(f: SchemaField): string {
  return f.shape.length > 1 || (f.shape.length === 1 && f.shape[0] !== -1) ? `${f.name} (${f.datatype} [${f.shape.join(', ')}])` : `${f.name} (${f.datatype})`;
}
