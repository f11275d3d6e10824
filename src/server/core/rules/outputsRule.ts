import type { ModelKind } from '../../../model/manifest';
import type { OutlineField } from '../../../model/manifestOutline';
import { declareEdit, declaredType } from '../manifestFields';
import type { PyCheck } from '../python/check';
import { returnedValues, type NameSite, type Returned } from '../python/returned';
import { stringContentSpan } from '../python/strings';
import { closest } from '../text';
import type { Fix, TextEdit } from '../types';
import { predictInput } from './columnsRule';

/** What predict returns, in the words of its kind. */
const NAME: Readonly<Record<ModelKind, string>> = { dataframe: 'column', tensor: 'key' };
const VALUE: Readonly<Record<ModelKind, string>> = { dataframe: 'the DataFrame predict returns', tensor: 'the dict predict returns' };

/**
 * PYML221: a name predict returns (a dict key of a tensor model, a column of a DataFrame model) that
 * pyml.yaml's `outputs` do not declare: the runtime rejects every such answer. PYML222: a declared
 * output that a return visibly leaves out. Both only where the code shows the names (see
 * returnedValues); when it does not, nothing is said.
 */
export function checkOutputs(check: PyCheck): void {
  const manifest = check.ctx.manifest;
  if (check.role !== 'model' || !manifest || manifest.outputs.length === 0) return;
  const input = predictInput(check);
  if (!input) return;
  const { kind } = input;
  const outputs = manifest.outputs;
  const declared = new Set(outputs.map((o) => o.name));
  const declaredList = outputs.map((o) => o.name).join(', ');
  const inputs = manifest.inputs.map((f) => f.name);
  const reported = new Set<number>();

  for (const ret of returnedValues(check.mod, input.fn, input.param, kind)) {
    const undeclared = ret.written.filter((w) => !declared.has(w.name));
    const absent = ret.all && !ret.holdsInput ? outputs.filter((o) => !ret.all?.has(o.name)) : [];
    for (const site of undeclared) {
      if (reported.has(site.node.from)) continue;
      reported.add(site.node.from);
      const lacks = absent.length > 0 ? `; this return lacks ${absent.map((o) => o.name).join(', ')}` : '';
      // One unknown name where one declared name is missing: that is the name meant.
      const meant = undeclared.length === 1 && absent.length === 1 ? absent[0]?.name : closest(site.name, outputs.map((o) => o.name));
      check.findings.add(
        'PYML221',
        check.range(site.node),
        `${NAME[kind]} '${site.name}' is in ${VALUE[kind]} but pyml.yaml outputs do not declare it (declared: ${declaredList})${lacks}; the runtime rejects such an answer`,
        outputFixes(check, site, kind, meant),
      );
    }
    const leftover = ret.holdsInput ? inputs.filter((name) => !declared.has(name) && !ret.written.some((w) => w.name === name)) : [];
    if (leftover.length > 0 && !reported.has(ret.value.from)) {
      reported.add(ret.value.from);
      const what = kind === 'dataframe' ? `input DataFrame, which still holds input column${leftover.length > 1 ? 's' : ''}` : `input dict, which still holds input tensor${leftover.length > 1 ? 's' : ''}`;
      check.findings.add(
        'PYML221',
        check.range(ret.value),
        `predict returns its ${what} ${leftover.join(', ')} that pyml.yaml outputs do not declare (declared: ${declaredList}); return ${kind === 'dataframe' ? 'a DataFrame' : 'a dict'} of the outputs only`,
      );
    }
    // With a name PYML221 reports, it says what is missing and its fix settles both.
    if (undeclared.length === 0 && absent.length > 0) missing(check, ret, kind, outputs, absent);
  }
}

/** PYML222: a return whose names are all shown lacks declared outputs. */
function missing(check: PyCheck, ret: Returned, kind: ModelKind, outputs: readonly OutlineField[], absent: readonly OutlineField[]): void {
  const names = absent.map((o) => `'${o.name}'`).join(', ');
  const has = [...(ret.all ?? [])].join(', ') || 'nothing';
  const only = absent.length === 1 ? absent[0] : undefined;
  const removal = only && outputs.length > 1 ? removeFieldEdit(check, only) : undefined;
  check.findings.add(
    'PYML222',
    check.range(ret.value),
    `${VALUE[kind]} here has no ${NAME[kind]} ${names}, which pyml.yaml declares in outputs (it has: ${has}); the runtime rejects an answer without ${absent.length > 1 ? 'them' : 'it'}`,
    removal && only ? [{ title: `Remove '${only.name}' from pyml.yaml outputs`, edits: [removal] }] : [],
  );
}

function outputFixes(check: PyCheck, site: NameSite, kind: ModelKind, near: string | undefined): Fix[] {
  const manifest = check.ctx.manifest;
  const fixes: Fix[] = [];
  if (near !== undefined) {
    const span = site.form === 'string' ? stringContentSpan(site.node, check.mod.text) : { from: site.node.from, to: site.node.to };
    if (span && (site.form === 'string' || /^[A-Za-z_][A-Za-z0-9_]*$/.test(near))) {
      fixes.push({ title: `Change to '${near}'`, edits: [{ file: check.file, range: check.mod.lines.range(span.from, span.to), newText: near }], preferred: true });
    }
  }
  if (manifest) {
    fixes.push({
      title: `Declare '${site.name}' in pyml.yaml outputs (${declaredType(kind)})`,
      edits: [{ file: check.ctx.manifestFile, ...declareEdit(manifest, 'outputs', site.name, kind) }],
      preferred: fixes.length === 0,
    });
  }
  return fixes;
}

/** Deletes the lines of one `outputs` item, when it sits on lines of its own (`- {name: x, ...}` or a block item). */
function removeFieldEdit(check: PyCheck, field: OutlineField): TextEdit | undefined {
  const manifest = check.ctx.manifest;
  if (!manifest) return undefined;
  const lines = manifest.text.split('\n');
  const { start, end } = field.range;
  const first = lines[start.line] ?? '';
  if (!/^\s*-\s*$/.test(first.slice(0, start.character))) return undefined;
  const endLine = end.character === 0 && end.line > start.line ? end.line - 1 : end.line;
  const after = end.character === 0 && end.line > start.line ? '' : (lines[endLine] ?? '').slice(end.character);
  if (after.trim().length > 0 && !after.trim().startsWith('#')) return undefined;
  return {
    file: check.ctx.manifestFile,
    range: { start: { line: start.line, character: 0 }, end: { line: endLine + 1, character: 0 } },
    newText: '',
  };
}
