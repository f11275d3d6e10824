import { toV2Datatype } from '../../../model/dtypes';
import type { ModelKind } from '../../../model/manifest';
import type { ManifestOutline } from '../../../model/manifestOutline';
import type { Analysis } from '../analyze';
import { describeType, fieldList, type Side } from '../manifestFields';
import { checkedClasses, type PyCheck } from '../python/check';
import { sameNode, textOf } from '../python/parse';
import type { Derivation } from '../python/resolve';
import { returnedValues } from '../python/returned';
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

  const manifest = check.ctx.manifest;
  // A column read inside predict, or a name predict returns.
  const input = predictInput(check);
  if (input && manifest) {
    for (const read of columnReads(check, input.fn, input.param, input.kind)) {
      const r = check.range(read.node);
      if (!containsPosition(r, at)) continue;
      return { markdown: fieldDoc(manifest, 'inputs', read.name, input.kind), range: r };
    }
    for (const ret of returnedValues(check.mod, input.fn, input.param, input.kind)) {
      const site = ret.written.find((w) => containsPosition(check.range(w.node), at));
      if (site) return { markdown: fieldDoc(manifest, 'outputs', site.name, input.kind), range: check.range(site.node) };
    }
  }

  const node = check.mod.tree.resolveInner(offset, 1);
  const name = node.name === 'VariableName' || node.name === 'PropertyName' ? textOf(check.mod, node) : undefined;
  if (name === undefined) return undefined;
  const range = check.range(node);
  const classes = checkedClasses(check);
  const model = node.parent?.name === 'ClassDefinition' ? classes.find((c) => sameNode(c.cls.nameNode, node)) : undefined;
  if (model) return { markdown: modelClassDoc(check, model.cls.name, model.kind ?? derivedKind(model.derivation)), range };
  const def = node.parent?.name === 'FunctionDefinition' ? node.parent : undefined;
  const owner = def ? classes.find((c) => [...c.cls.methods.values()].some((m) => sameNode(m.node, def) && sameNode(m.nameNode, node))) : undefined;
  if (name === 'predict' && owner) {
    const fn = owner.cls.methods.get('predict');
    const kind = owner.kind ?? derivedKind(owner.derivation);
    return { markdown: predictDoc(kind, manifest && kind ? { manifest, param: fn?.params[1]?.name } : undefined), range };
  }
  if (name === 'predict' && node.name === 'PropertyName') return { markdown: predictDoc(check.manifestKind), range };
  if (name === '__init__' && owner) return { markdown: CONTRACT_DOCS['__init__'] ?? '', range };
  const doc = name === 'DataFrameModel' || name === 'TensorModel' || ((name === 'data_path' || name === 'model_dir') && node.name === 'PropertyName') ? CONTRACT_DOCS[name] : undefined;
  return doc !== undefined ? { markdown: doc, range } : undefined;
}

function derivedKind(derivation: Derivation): ModelKind | undefined {
  return derivation.kind === 'dataframe' || derivation.kind === 'tensor' ? derivation.kind : undefined;
}

/** The model class: what the contract is, its kind, and the inputs and outputs pyml.yaml declares. */
function modelClassDoc(check: PyCheck, className: string, kind: ModelKind | undefined): string {
  const manifest = check.ctx.manifest;
  const served = manifest?.model && check.role === 'model' ? ` — the model \`pyml.yaml\` serves (\`model: ${manifest.model.module}:${manifest.model.className}\`)` : ' — a PyML model class';
  const lines = [`**${className}**${served}`, ''];
  if (kind === 'dataframe') lines.push('A **DataFrame model** (`kind: dataframe`): `predict` takes a pandas DataFrame with the input columns and returns a DataFrame with exactly the output columns.');
  else if (kind === 'tensor') lines.push('A **tensor model** (`kind: tensor`): `predict` takes a dict of named numpy arrays and returns a dict with exactly the output arrays.');
  else lines.push('Derive it from `pyml.DataFrameModel` or `pyml.TensorModel` and set `kind` in `pyml.yaml`.');
  lines.push('', 'The runtime constructs it once with no arguments (again on each dev-mode reload; `__init__` loads the parameters, e.g. from `self.data_path(...)`), then calls `predict` for every request, online and in batch, from the same image.');
  if (manifest && check.role === 'model') {
    lines.push('', `**Inputs** (${kind === 'tensor' ? 'tensors' : 'columns'}):`, fieldList(manifest, 'inputs', kind), '', '**Outputs**:', fieldList(manifest, 'outputs', kind));
    if (manifest.parsed.manifest?.threadSafe) lines.push('', '`thread_safe: true`: predict may run concurrently.');
  }
  return lines.join('\n');
}

function fieldDoc(manifest: ManifestOutline, side: Side, name: string, kind: ModelKind): string {
  const what = kind === 'dataframe' ? 'column' : 'tensor';
  const field = (side === 'inputs' ? manifest.inputs : manifest.outputs).find((f) => f.name === name);
  if (!field) {
    return side === 'inputs'
      ? `**${name}** — not declared in \`pyml.yaml\` inputs: requests will not carry this ${what}.`
      : `**${name}** — not declared in \`pyml.yaml\` outputs: the runtime rejects an answer with this ${what}.`;
  }
  const role = side === 'inputs' ? 'input' : 'output';
  return `**${name}** — ${role} ${what}, ${describeType(manifest, side, field, kind)}, declared in \`pyml.yaml\` (line ${field.range.start.line + 1}).`;
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
