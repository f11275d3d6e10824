import type { SyntaxNode } from '@lezer/common';
import type { ModelKind } from '../../../model/manifest';
import type { OutlineField } from '../../../model/manifestOutline';
import { declareEdit, declaredType } from '../manifestFields';
import { DATAFRAME_ATTRIBUTES } from '../packages';
import { checkedClasses, findMethod, type PyCheck } from '../python/check';
import { children, sameNode, textOf, type FunctionInfo } from '../python/parse';
import { stringContentSpan, stringTerminated, stringValue } from '../python/strings';
import { closest } from '../text';
import type { Fix } from '../types';

/** One read of a named input inside predict: `df["x"]`, `df.x`, `df[["a", "b"]]`, `df.loc[:, "x"]`, `tensors["x"]`. */
export interface ColumnRead {
  readonly name: string;
  /** The string literal or attribute name node. */
  readonly node: SyntaxNode;
  readonly form: 'subscript' | 'attribute';
}

/** The predict method of the class the rules check, with its input parameter's name. */
export function predictInput(check: PyCheck): { fn: FunctionInfo; param: string; kind: ModelKind } | undefined {
  for (const { cls, kind } of checkedClasses(check)) {
    if (!kind) continue;
    const found = findMethod(check, cls, 'predict');
    if (!found || typeof found === 'string') continue;
    const param = found.fn.params[1];
    if (param?.kind !== 'positional') continue;
    return { fn: found.fn, param: param.name, kind };
  }
  return undefined;
}

/**
 * PYML220: a column (or tensor) that predict reads from its input must be declared in the manifest's
 * `inputs`. Columns that predict assigns itself (`df["y"] = ...`) count as declared; after the input
 * is rebound (`df = df.merge(...)`) reads are not checked.
 */
export function checkColumns(check: PyCheck): void {
  const manifest = check.ctx.manifest;
  if (check.role !== 'model' || !manifest || manifest.inputs.length === 0) return;
  const input = predictInput(check);
  if (!input) return;
  const declared = new Map(manifest.inputs.map((f) => [f.name, f]));
  for (const read of columnReads(check, input.fn, input.param, input.kind)) {
    if (declared.has(read.name) || beingTyped(check, read)) continue;
    const what = input.kind === 'dataframe' ? 'column' : 'input tensor';
    check.findings.add(
      'PYML220',
      check.range(read.node),
      `${what} '${read.name}' is not declared in pyml.yaml inputs (declared: ${[...declared.keys()].join(', ')})`,
      columnFixes(check, read, input.kind, manifest.inputs),
    );
  }
}

/** `df[""]` or `df["te` while typing: the completion list helps there, a warning does not. */
function beingTyped(check: PyCheck, read: ColumnRead): boolean {
  return read.form === 'subscript' && (read.name.trim() === '' || !stringTerminated(read.node, check.mod.text));
}

function columnFixes(check: PyCheck, read: ColumnRead, kind: ModelKind, inputs: readonly OutlineField[]): Fix[] {
  const manifest = check.ctx.manifest;
  const fixes: Fix[] = [];
  const near = closest(read.name, inputs.map((f) => f.name));
  if (near !== undefined) {
    const span = read.form === 'subscript' ? stringContentSpan(read.node, check.mod.text) : { from: read.node.from, to: read.node.to };
    if (span && (read.form === 'subscript' || /^[A-Za-z_][A-Za-z0-9_]*$/.test(near))) {
      fixes.push({ title: `Change to '${near}'`, edits: [{ file: check.file, range: check.mod.lines.range(span.from, span.to), newText: near }], preferred: true });
    }
  }
  if (manifest) {
    fixes.push({
      title: `Declare '${read.name}' in pyml.yaml inputs (${declaredType(kind)})`,
      edits: [{ file: check.ctx.manifestFile, ...declareEdit(manifest, 'inputs', read.name, kind) }],
      preferred: fixes.length === 0,
    });
  }
  return fixes;
}

/** Reads of named inputs from `param` in a function body, up to the point where `param` is rebound. */
export function columnReads(check: PyCheck, fn: FunctionInfo, param: string, kind: ModelKind): ColumnRead[] {
  const body = fn.body;
  if (!body) return [];
  const { mod } = check;
  const isParam = (n: SyntaxNode | null | undefined): boolean => n?.name === 'VariableName' && textOf(mod, n) === param;
  let rebound = Infinity;
  const written = new Set<string>();
  const reads: ColumnRead[] = [];

  body.cursor().iterate((ref) => {
    const n = ref.node;
    if (n.name === 'FunctionDefinition' || n.name === 'ClassDefinition') return false;
    if (n.name === 'AssignStatement' || n.name === 'NamedExpression') {
      for (const target of assignmentTargets(n)) {
        if (isParam(target)) rebound = Math.min(rebound, n.to);
        const col = subscriptOf(target);
        if (col && isParam(col.object)) for (const s of stringsOf(mod.text, col.index)) written.add(s.name);
      }
    }
    if (n.name !== 'MemberExpression' || n.from >= rebound) return undefined;
    const parts = children(n);
    const object = parts[0];
    const op = parts[1];
    if (isParam(object) && op?.name === '[') {
      if (isAssignmentTarget(n) || n.parent?.name === 'DeleteStatement') return undefined;
      const index = parts[2];
      if (index) for (const s of stringsOf(mod.text, index)) reads.push({ ...s, form: 'subscript' });
    } else if (kind === 'dataframe' && isParam(object) && op?.name === '.') {
      const prop = parts[2];
      if (prop?.name !== 'PropertyName' || isAssignmentTarget(n)) return undefined;
      const name = textOf(mod, prop);
      if (name.startsWith('_') || DATAFRAME_ATTRIBUTES.has(name)) return undefined;
      if (n.parent?.name === 'CallExpression' && sameNode(n.parent.firstChild, n)) return undefined;
      reads.push({ name, node: prop, form: 'attribute' });
    } else if (kind === 'dataframe' && op?.name === '[' && object?.name === 'MemberExpression' && isLoc(mod.text, object, isParam)) {
      // df.loc[rows, "x"] / df.loc[rows, ["a", "b"]]
      const comma = parts.findIndex((p) => p.name === ',');
      const index = comma >= 0 ? parts[comma + 1] : undefined;
      if (index && !isAssignmentTarget(n)) for (const s of stringsOf(mod.text, index)) reads.push({ ...s, form: 'subscript' });
    }
    return undefined;
  });
  return reads.filter((r) => !written.has(r.name));
}

function isLoc(text: string, node: SyntaxNode, isParam: (n: SyntaxNode | null | undefined) => boolean): boolean {
  const parts = children(node);
  const prop = parts[2];
  return isParam(parts[0]) && parts[1]?.name === '.' && prop?.name === 'PropertyName' && text.slice(prop.from, prop.to) === 'loc';
}

function stringsOf(text: string, index: SyntaxNode): { name: string; node: SyntaxNode }[] {
  if (index.name === 'String' || index.name === 'ContinuedString') {
    const value = stringValue(index, text);
    return value !== undefined ? [{ name: value, node: index }] : [];
  }
  if (index.name === 'ArrayExpression' || index.name === 'TupleExpression') {
    const out: { name: string; node: SyntaxNode }[] = [];
    for (const c of children(index)) {
      if (c.name !== 'String') continue;
      const value = stringValue(c, text);
      if (value !== undefined) out.push({ name: value, node: c });
    }
    return out;
  }
  return [];
}

function subscriptOf(node: SyntaxNode): { object: SyntaxNode; index: SyntaxNode } | undefined {
  if (node.name !== 'MemberExpression') return undefined;
  const parts = children(node);
  const object = parts[0];
  const index = parts[2];
  return object && parts[1]?.name === '[' && index ? { object, index } : undefined;
}

/** The target expressions of `a = b = value` / `(a := value)`. */
function assignmentTargets(stmt: SyntaxNode): SyntaxNode[] {
  const parts = children(stmt);
  const lastOp = parts.map((p) => p.name).lastIndexOf('AssignOp');
  return parts.slice(0, Math.max(0, lastOp)).filter((p) => p.name !== 'AssignOp' && p.name !== ',' && p.name !== 'TypeDef');
}

function isAssignmentTarget(node: SyntaxNode): boolean {
  const parent = node.parent;
  if (parent?.name !== 'AssignStatement') return false;
  return assignmentTargets(parent).some((t) => sameNode(t, node));
}
