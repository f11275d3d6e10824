import type { SyntaxNode } from '@lezer/common';
import * as path from 'path';
import type { ModelKind } from '../../../model/manifest';
import { setKindEdit, setModelEdit } from '../../../model/manifestOutline';
import { checkedClasses, findMethod, type PyCheck } from '../python/check';
import { PythonEdits, initTemplate, predictTemplate, short } from '../python/edits';
import { canFallThrough, isGenerator, valuelessReturns } from '../python/flow';
import { children, textOf, type ClassInfo, type FunctionInfo, type Param } from '../python/parse';
import { annotationShape, BASE_CLASS, contradicts, type Derivation } from '../python/resolve';
import { editDistance } from '../text';
import type { Fix, TextEdit } from '../types';

/**
 * The model contract: one class deriving from DataFrameModel or TensorModel (the one pyml.yaml
 * names), a constructor callable without arguments, and `predict(self, x)` returning a value of the
 * kind's type on every path.
 */
export function checkContract(check: PyCheck): void {
  classPresence(check);
  const seen = new Set<number>();
  for (const { cls, derivation, kind } of checkedClasses(check)) {
    baseClass(check, cls, derivation, kind);
    const effective = kind ?? (derivation.kind === 'dataframe' || derivation.kind === 'tensor' ? derivation.kind : undefined);
    predict(check, cls, effective, seen);
    constructor(check, cls, seen);
  }
}

const WHAT: Readonly<Record<ModelKind, string>> = { dataframe: 'a pandas DataFrame', tensor: 'a dict of numpy arrays' };
const ARG: Readonly<Record<ModelKind, string>> = { dataframe: 'df', tensor: 'tensors' };

/** PYML001 (the manifest's class is missing) and PYML003 (several classes, nothing to choose). */
function classPresence(check: PyCheck): void {
  const { mod, ctx, findings } = check;
  const manifest = ctx.manifest;
  const model = manifest?.model;
  if (check.role === 'model' && manifest && model && !check.target) {
    const file = path.basename(check.file);
    const others = check.models.map((m) => m.cls.name);
    const message =
      `pyml.yaml names class '${model.className}' (model: ${model.module}:${model.className}) but ${file} does not define it` +
      (others.length > 0 ? `; model classes here: ${others.join(', ')}` : '');
    const manifestText = manifest.text;
    const fixes: Fix[] = [];
    for (const m of check.models) {
      fixes.push({
        title: `Set model: ${model.module}:${m.cls.name} in pyml.yaml`,
        edits: [{ file: ctx.manifestFile, ...setModelEdit(manifestText, model.module, m.cls.name) }],
        preferred: fixes.length === 0,
      });
      fixes.push({ title: `Rename class ${m.cls.name} to ${model.className}`, edits: [{ file: check.file, range: check.range(m.cls.nameNode), newText: model.className }] });
    }
    if (check.models.length === 0) fixes.push(addClassFix(check, model.className, check.manifestKind ?? 'dataframe'));
    const first = check.models[0];
    const where = first ? check.range(first.cls.nameNode) : mod.lines.lineRange(0);
    findings.add('PYML001', where, message, fixes);
  }
  if (check.role === 'standalone' && !ctx.manifest && check.models.length > 1) {
    const names = check.models.map((m) => m.cls.name);
    for (const m of check.models) {
      findings.add(
        'PYML003',
        check.range(m.cls.nameNode),
        `${names.length} model classes (${names.join(', ')}) and no pyml.yaml to choose one: add a pyml.yaml beside this file with model: ${path.basename(check.file, '.py')}:${m.cls.name}`,
      );
    }
  }
}

function addClassFix(check: PyCheck, className: string, kind: ModelKind): Fix {
  const edits = new PythonEdits(check.mod, check.file);
  const base = edits.baseClass(kind);
  const indent = '    ';
  const outputs = check.ctx.manifest?.outputs.map((o) => o.name) ?? [];
  const body = [`class ${className}(${base}):`, initTemplate(indent), '', predictTemplate(edits, kind, indent, outputs)].join('\n');
  const end = check.mod.lines.position(check.mod.text.length);
  const lead = check.mod.text.trim().length === 0 ? '' : check.mod.text.endsWith('\n') ? '\n\n' : '\n\n\n';
  return {
    title: `Add class ${className}(${base})`,
    edits: edits.with({ file: check.file, range: { start: end, end }, newText: `${lead}${body}\n` }),
    preferred: true,
  };
}

/** PYML004 (base not imported), PYML010 (base contradicts kind), PYML011 (no contract base). */
function baseClass(check: PyCheck, cls: ClassInfo, derivation: Derivation, kind: ModelKind | undefined): void {
  const { ctx, findings } = check;
  if (derivation.kind === 'dataframe' || derivation.kind === 'tensor') {
    if (!derivation.imported) {
      const name = BASE_CLASS[derivation.kind];
      const edits = new PythonEdits(check.mod, check.file);
      edits.fromImport('pyml', name);
      findings.add('PYML004', check.range(derivation.base), `'${name}' is not imported: add 'from pyml import ${name}'`, [
        { title: `Add 'from pyml import ${name}'`, edits: edits.with(), preferred: true },
      ]);
    }
    if (check.role === 'model' && kind && derivation.kind !== kind) {
      const want = BASE_CLASS[kind];
      const fixes: Fix[] = [];
      const baseText = textOf(check.mod, derivation.base);
      if (baseText.endsWith(BASE_CLASS[derivation.kind])) {
        const edits = new PythonEdits(check.mod, check.file);
        const replacement = baseText.includes('.') ? `${baseText.slice(0, baseText.lastIndexOf('.'))}.${want}` : edits.baseClass(kind);
        fixes.push({
          title: `Derive ${cls.name} from ${want}`,
          edits: edits.with({ file: check.file, range: check.range(derivation.base), newText: replacement }),
          preferred: true,
        });
      }
      if (ctx.manifest) {
        fixes.push({
          title: `Change kind to ${derivation.kind} in pyml.yaml`,
          edits: [{ file: ctx.manifestFile, ...setKindEdit(ctx.manifest.text, derivation.kind) }],
        });
      }
      findings.add(
        'PYML010',
        check.range(derivation.base),
        `${cls.name} derives from ${BASE_CLASS[derivation.kind]} but pyml.yaml says kind: ${kind}; derive from ${want} or change the kind`,
        fixes,
      );
    }
    return;
  }
  if (derivation.kind === 'none' && check.role === 'model') {
    const kinds: ModelKind[] = kind ? [kind] : ['dataframe', 'tensor'];
    const wanted = kinds.map((k) => `pyml.${BASE_CLASS[k]}`).join(' or ');
    findings.add(
      'PYML011',
      check.range(cls.nameNode),
      `${cls.name} must derive from ${wanted}${kind ? ` (pyml.yaml says kind: ${kind})` : ''}`,
      kinds.map((k, i) => addBaseFix(check, cls, k, i === 0)),
    );
  }
}

function addBaseFix(check: PyCheck, cls: ClassInfo, kind: ModelKind, preferred: boolean): Fix {
  const edits = new PythonEdits(check.mod, check.file);
  const base = edits.baseClass(kind);
  let edit: TextEdit;
  const only = cls.bases.length === 1 ? cls.bases[0] : undefined;
  if (only && textOf(check.mod, only) === 'object') {
    edit = { file: check.file, range: check.range(only), newText: base };
  } else if (cls.argList) {
    const open = cls.argList.firstChild;
    const at = check.mod.lines.position((open?.to ?? cls.argList.from + 1));
    const empty = cls.argList.to - cls.argList.from <= 2 || (cls.argList.firstChild?.nextSibling?.name === ')');
    edit = { file: check.file, range: { start: at, end: at }, newText: empty ? base : `${base}, ` };
  } else {
    const at = check.mod.lines.position(cls.nameNode.to);
    edit = { file: check.file, range: { start: at, end: at }, newText: `(${base})` };
  }
  return { title: `Derive ${cls.name} from ${BASE_CLASS[kind]}`, edits: edits.with(edit), preferred };
}

/** PYML020-022, PYML030-032: predict exists, is a plain method of one argument, returns a value. */
function predict(check: PyCheck, cls: ClassInfo, kind: ModelKind | undefined, seen: Set<number>): void {
  const found = findMethod(check, cls, 'predict');
  const k = kind ?? 'dataframe';
  if (found === undefined) {
    const edits = new PythonEdits(check.mod, check.file);
    const outputs = check.ctx.manifest?.outputs.map((o) => o.name) ?? [];
    const text = predictTemplate(edits, k, edits.memberIndent(cls), outputs);
    const near = nearPredict(cls);
    const fixes: Fix[] = [];
    if (near) fixes.push({ title: `Rename ${near.name} to predict`, edits: renameMethodEdits(check, cls, near, 'predict'), preferred: true });
    fixes.push({ title: `Add predict(self, ${ARG[k]}) to ${cls.name}`, edits: edits.with(edits.appendToClass(cls, text)), preferred: !near });
    check.findings.add(
      'PYML020',
      check.range(cls.nameNode),
      near
        ? `${cls.name} has no predict method (${near.name} looks like a misspelling of it): the runtime calls predict(self, ${ARG[k]}) returning ${WHAT[k]}`
        : `${cls.name} has no predict method: add def predict(self, ${ARG[k]}) returning ${WHAT[k]}`,
      fixes,
    );
    return;
  }
  if (typeof found === 'string' || seen.has(found.fn.node.from)) return;
  seen.add(found.fn.node.from);
  const fn = found.fn;
  const bound = decorators(fn, 'staticmethod').length + decorators(fn, 'classmethod').length > 0;
  decoratorsAndAsync(check, fn);
  // A static or class method gets its signature checked once the decorator is gone.
  const args = bound ? fn.params.slice(1) : signature(check, fn, k);
  annotations(check, fn, args[0], kind);
  returns(check, fn, k);
}

/** A method of the class whose name is a likely misspelling of predict (`predictx`, `Predict`, `_predict`). */
function nearPredict(cls: ClassInfo): FunctionInfo | undefined {
  let best: FunctionInfo | undefined;
  let bestDistance = Infinity;
  for (const fn of cls.methods.values()) {
    if (fn.name.startsWith('__')) continue;
    const d = editDistance(fn.name.toLowerCase(), 'predict');
    if (d <= 2 && d < bestDistance) {
      best = fn;
      bestDistance = d;
    }
  }
  return best;
}

/** Renames a method where it is defined and where the class calls it through `self.`. */
function renameMethodEdits(check: PyCheck, cls: ClassInfo, fn: FunctionInfo, to: string): TextEdit[] {
  const edits: TextEdit[] = [{ file: check.file, range: check.range(fn.nameNode), newText: to }];
  cls.node.cursor().iterate((ref) => {
    if (ref.name !== 'MemberExpression') return undefined;
    const [object, dot, prop] = children(ref.node);
    if (object?.name === 'VariableName' && textOf(check.mod, object) === 'self' && dot?.name === '.' && prop?.name === 'PropertyName' && textOf(check.mod, prop) === fn.name) {
      edits.push({ file: check.file, range: check.range(prop), newText: to });
    }
    return undefined;
  });
  return edits;
}

function decorators(fn: FunctionInfo, name: string): FunctionInfo['decorators'] {
  return fn.decorators.filter((d) => d.name === name || d.name.endsWith(`.${name}`));
}

function decoratorsAndAsync(check: PyCheck, fn: FunctionInfo): void {
  for (const which of ['staticmethod', 'classmethod'] as const) {
    for (const decorator of decorators(fn, which)) {
      const line = check.mod.lines.position(decorator.node.from).line;
      const removal: TextEdit = {
        file: check.file,
        range: { start: { line, character: 0 }, end: { line: line + 1, character: 0 } },
        newText: '',
      };
      check.findings.add(
        'PYML022',
        check.mod.lines.range(decorator.node.from, decorator.end),
        `predict must be a plain method: the runtime calls predict on the model instance; remove @${which}`,
        [{ title: `Remove @${which}`, edits: [removal], preferred: true }],
      );
    }
  }
  if (fn.asyncNode) {
    const end = fn.defNode?.from ?? fn.asyncNode.to;
    check.findings.add(
      'PYML022',
      check.range(fn.asyncNode),
      'predict must not be async: the runtime calls it synchronously and would receive a coroutine, not a result',
      [{ title: 'Make predict synchronous', edits: [{ file: check.file, range: check.mod.lines.range(fn.asyncNode.from, end), newText: '' }], preferred: true }],
    );
  }
}

/** PYML021. Returns the arguments besides self. */
function signature(check: PyCheck, fn: FunctionInfo, kind: ModelKind): readonly Param[] {
  const params = fn.params;
  const args = params.slice(1);
  const ok = params.length >= 1 && params[0]?.kind === 'positional' && args.length === 1 && args[0]?.kind === 'positional';
  if (ok || !fn.paramList) return args;
  const first = args.find((p) => p.kind === 'positional');
  const keep = first
    ? `${first.name}${first.annotation ? `: ${textOf(check.mod, first.annotation)}` : ''}`
    : undefined;
  const edits = new PythonEdits(check.mod, check.file);
  const replacement = keep ?? `${ARG[kind]}: ${edits.annotation(kind)}`;
  let message: string;
  if (params.length === 0) message = `predict needs self and one argument: def predict(self, ${ARG[kind]})`;
  else if (args.length === 0) message = `predict must take the input (${WHAT[kind]}) as its one argument besides self: def predict(self, ${ARG[kind]})`;
  else {
    const names = args.map((p) => (p.kind === 'varargs' ? `*${p.name}` : p.kind === 'varkw' ? `**${p.name}` : p.name));
    message = `predict must take exactly one argument besides self (${WHAT[kind]}); it takes ${args.length}: ${names.join(', ')}`;
  }
  check.findings.add('PYML021', check.range(fn.paramList), message, [
    {
      title: `Change the signature to predict(self, ${replacement})`,
      edits: edits.with({ file: check.file, range: check.range(fn.paramList), newText: `(self, ${replacement})` }),
      preferred: true,
    },
  ]);
  return args;
}

/** PYML030 / PYML031: annotations that say something else than the kind. */
function annotations(check: PyCheck, fn: FunctionInfo, arg: Param | undefined, kind: ModelKind | undefined): void {
  if (!kind) return;
  const pairs: [SyntaxNode | undefined, 'PYML030' | 'PYML031', string][] = [
    [fn.returns, 'PYML030', 'returns'],
    [arg?.annotation, 'PYML031', 'takes'],
  ];
  for (const [node, code, verb] of pairs) {
    if (!node) continue;
    const shape = annotationShape(check.mod, node);
    if (!contradicts(shape, kind)) continue;
    const edits = new PythonEdits(check.mod, check.file);
    const want = edits.annotation(kind);
    check.findings.add(
      code,
      check.range(node),
      `predict of a ${kind} model ${verb} ${WHAT[kind]}, but is annotated '${short(check.mod, node)}'`,
      [{ title: `Annotate as ${want}`, edits: edits.with({ file: check.file, range: check.range(node), newText: want }), preferred: true }],
    );
  }
}

/** PYML032: a path through predict that returns None. */
function returns(check: PyCheck, fn: FunctionInfo, kind: ModelKind): void {
  const body = fn.body;
  if (!body) return;
  if (isGenerator(body)) {
    check.findings.add('PYML032', check.range(fn.nameNode), `predict uses yield, so it returns a generator instead of ${WHAT[kind]}`);
    return;
  }
  for (const r of valuelessReturns(body)) {
    check.findings.add('PYML032', check.range(r), `this return gives the caller None; predict must return ${WHAT[kind]}`);
  }
  if (canFallThrough(check.mod, body)) {
    check.findings.add(
      'PYML032',
      check.range(fn.nameNode),
      `predict can reach its end without a return, and then gives the caller None instead of ${WHAT[kind]}`,
    );
  }
}

/** PYML023 (required constructor parameters) and PYML024 (no constructor). */
function constructor(check: PyCheck, cls: ClassInfo, seen: Set<number>): void {
  const found = findMethod(check, cls, '__init__');
  if (found === undefined) {
    const edits = new PythonEdits(check.mod, check.file);
    check.findings.add(
      'PYML024',
      check.range(cls.nameNode),
      `${cls.name} has no __init__: a model usually loads its parameters there, e.g. from self.data_path("model.joblib")`,
      [{ title: `Add __init__ to ${cls.name}`, edits: [edits.prependMethod(cls, initTemplate(edits.memberIndent(cls)))] }],
    );
    return;
  }
  if (typeof found === 'string' || seen.has(found.fn.node.from)) return;
  seen.add(found.fn.node.from);
  const fn = found.fn;
  const params = fn.params.slice(1);
  const required = params.filter((p) => (p.kind === 'positional' || p.kind === 'keyword') && !p.hasDefault);
  const firstRequired = required[0];
  const lastRequired = required[required.length - 1];
  if (!fn.paramList || !firstRequired || !lastRequired) return;
  const names = required.map((p) => p.name).join(', ');
  const self = fn.params[0];
  const kept = params.filter((p) => !required.includes(p));
  const texts = kept.map((p) => check.mod.text.slice(p.from, p.to));
  const firstKeyword = kept.findIndex((p) => p.kind === 'keyword');
  if (firstKeyword >= 0 && !kept.some((p) => p.kind === 'varargs')) texts.splice(firstKeyword, 0, '*');
  const dropped = `(${[self ? check.mod.text.slice(self.from, self.to) : 'self', ...texts].join(', ')})`;
  const defaults: TextEdit[] = required.map((p) => {
    const at = check.mod.lines.position(p.to);
    return { file: check.file, range: { start: at, end: at }, newText: p.annotation ? ' = None' : '=None' };
  });
  check.findings.add(
    'PYML023',
    check.mod.lines.range(firstRequired.from, lastRequired.to),
    `the runtime constructs ${cls.name}() without arguments: __init__ parameter${required.length > 1 ? 's' : ''} ${names} need${required.length > 1 ? '' : 's'} a default or must go`,
    [
      { title: `Remove ${names} from __init__`, edits: [{ file: check.file, range: check.range(fn.paramList), newText: dropped }], preferred: true },
      { title: `Give ${names} a default of None`, edits: defaults },
    ],
  );
}
