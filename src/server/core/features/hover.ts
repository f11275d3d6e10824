import { toV2Datatype } from '../../../model/dtypes';
import type { OutlineField } from '../../../model/manifestOutline';
import type { Analysis } from '../analyze';
import { checkedClasses } from '../python/check';
import { sameNode, textOf } from '../python/parse';
import { columnReads, predictInput } from '../rules/columnsRule';
import type { Position, Range } from '../types';
import { containsPosition } from '../types';
import { CONTRACT_DOCS, keyDescription, predictDoc } from './docs';

export interface HoverResult {
  readonly markdown: string;
  readonly range: Range;
}

/** Hover text: the contract's names and input columns in Python, keys and dtypes in pyml.yaml. */
export function hoverAt(analysis: Analysis, at: Position): HoverResult | undefined {
  if (analysis.kind === 'manifest') return manifestHover(analysis, at);
  const check = analysis.python;
  if (!check) return undefined;
  const offset = check.mod.lines.offset(at);

  // A column read inside predict.
  const input = predictInput(check);
  if (input && check.ctx.manifest) {
    for (const read of columnReads(check, input.fn, input.param, input.kind)) {
      const r = check.range(read.node);
      if (!containsPosition(r, at)) continue;
      const field = check.ctx.manifest.inputs.find((f) => f.name === read.name);
      return { markdown: fieldDoc(read.name, field, input.kind === 'dataframe' ? 'column' : 'tensor'), range: r };
    }
  }

  const node = check.mod.tree.resolveInner(offset, 1);
  const name = node.name === 'VariableName' || node.name === 'PropertyName' ? textOf(check.mod, node) : undefined;
  if (name === undefined) return undefined;
  const range = check.range(node);
  const classes = checkedClasses(check);
  const def = node.parent?.name === 'FunctionDefinition' ? node.parent : undefined;
  const owner = def ? classes.find((c) => [...c.cls.methods.values()].some((m) => sameNode(m.node, def) && sameNode(m.nameNode, node))) : undefined;
  if (name === 'predict' && (owner || node.name === 'PropertyName')) return { markdown: predictDoc(owner?.kind ?? check.manifestKind), range };
  if (name === '__init__' && owner) return { markdown: CONTRACT_DOCS['__init__'] ?? '', range };
  const doc = name === 'DataFrameModel' || name === 'TensorModel' || ((name === 'data_path' || name === 'model_dir') && node.name === 'PropertyName') ? CONTRACT_DOCS[name] : undefined;
  return doc !== undefined ? { markdown: doc, range } : undefined;
}

function fieldDoc(name: string, field: OutlineField | undefined, what: 'column' | 'tensor'): string {
  if (!field) return `**${name}** — not declared in \`pyml.yaml\` inputs: requests will not carry this ${what}.`;
  const datatype = field.dtype !== undefined ? toV2Datatype(field.dtype) : undefined;
  const dtype = field.dtype !== undefined ? `\`${field.dtype}\`${datatype && datatype !== field.dtype ? ` (V2 ${datatype})` : ''}` : 'no dtype';
  return `**${name}** — input ${what}, ${dtype}, declared in \`pyml.yaml\` (line ${field.range.start.line + 1}).`;
}

function manifestHover(analysis: Analysis, at: Position): HoverResult | undefined {
  const outline = analysis.ctx?.manifest;
  if (!outline) return undefined;
  const key = outline.keys.find((k) => containsPosition(k.range, at));
  if (key) {
    const description = keyDescription(key.path);
    if (description !== undefined) return { markdown: `**${key.path.join('.')}** — ${description}`, range: key.range };
  }
  for (const field of [...outline.inputs, ...outline.outputs]) {
    if (!containsPosition(field.range, at) || field.dtype === undefined) continue;
    const datatype = toV2Datatype(field.dtype);
    if (datatype) return { markdown: `**${field.name}**: \`${field.dtype}\` travels as Open Inference Protocol datatype \`${datatype}\`.`, range: field.range };
  }
  return undefined;
}
