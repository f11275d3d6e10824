import { isSeq, parseDocument } from 'yaml';
import { toV2Datatype } from '../../model/dtypes';
import type { ModelKind } from '../../model/manifest';
import { declareFieldEdit, type ManifestEdit, type ManifestOutline, type OutlineField } from '../../model/manifestOutline';

export type Side = 'inputs' | 'outputs';

/** The `shape` of the `index`-th field of `inputs`/`outputs`, read from the text even when the manifest is otherwise invalid. */
export function fieldShape(outline: ManifestOutline, side: Side, index: number): readonly number[] | undefined {
  let doc;
  try {
    doc = parseDocument(outline.text, { prettyErrors: false });
  } catch {
    return undefined;
  }
  const shape: unknown = doc.getIn([side, index, 'shape'], true);
  if (!isSeq(shape)) return undefined;
  const dims: unknown[] = shape.toJSON();
  return dims.every((d): d is number => typeof d === 'number' && Number.isInteger(d)) ? dims : undefined;
}

/** `int64` (V2 INT64), or `float32` (V2 FP32), shape [-1, 784]. */
export function describeType(outline: ManifestOutline, side: Side, field: OutlineField, kind: ModelKind | undefined): string {
  const datatype = field.dtype !== undefined ? toV2Datatype(field.dtype) : undefined;
  const dtype = field.dtype !== undefined ? `\`${field.dtype}\`${datatype && datatype !== field.dtype ? ` (V2 ${datatype})` : ''}` : 'no dtype';
  if (kind !== 'tensor') return dtype;
  const shape = fieldShape(outline, side, field.index);
  return shape ? `${dtype}, shape \`[${shape.join(', ')}]\`` : `${dtype}, no shape declared (the runtime needs one)`;
}

/**
 * The edit declaring a field, as declareFieldEdit makes it, with `shape: [-1]` for a tensor (the
 * runtime needs every tensor's shape; -1 = any length).
 */
export function declareEdit(outline: ManifestOutline, side: Side, name: string, kind: ModelKind): ManifestEdit {
  const dtype = kind === 'dataframe' ? 'float64' : 'float32';
  const edit = declareFieldEdit(outline.text, side, name, dtype);
  if (kind === 'dataframe') return edit;
  const flow = `dtype: ${dtype}}`;
  if (edit.newText.includes(flow)) return { ...edit, newText: edit.newText.replace(flow, `dtype: ${dtype}, shape: [-1]}`) };
  const block = /\n( *)dtype: [^\n]*/.exec(edit.newText);
  if (!block) return edit;
  const at = block.index + block[0].length;
  return { ...edit, newText: `${edit.newText.slice(0, at)}\n${block[1] ?? ''}shape: [-1]${edit.newText.slice(at)}` };
}

/** What declareEdit writes, for a fix's title: `float64` or `float32, shape [-1]`. */
export function declaredType(kind: ModelKind): string {
  return kind === 'dataframe' ? 'float64' : 'float32, shape [-1]';
}

/** A bullet list of the declared fields of one side, or a line saying there are none. */
export function fieldList(outline: ManifestOutline, side: Side, kind: ModelKind | undefined): string {
  const fields = side === 'inputs' ? outline.inputs : outline.outputs;
  if (fields.length === 0) return `_none declared in \`pyml.yaml\` ${side}_`;
  return fields.map((f) => `- \`${f.name}\` — ${describeType(outline, side, f, kind)}`).join('\n');
}
