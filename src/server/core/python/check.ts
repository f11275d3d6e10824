import type { SyntaxNode } from '@lezer/common';
import type { ModelKind } from '../../../model/manifest';
import type { ModelContext } from '../context';
import { samePath } from '../fs';
import type { Findings } from '../report';
import type { Range } from '../types';
import { parseFile, type ClassInfo, type FunctionInfo, type PyModule } from './parse';
import { derivationOf, type Derivation } from './resolve';

export interface ModelClass {
  readonly cls: ClassInfo;
  readonly derivation: Derivation;
}

/**
 * The role a Python file plays:
 * - `model`: the module the manifest's `model:` names; the contract applies to the named class;
 * - `folder`: another module of a model folder (imports and data files still matter);
 * - `standalone`: no manifest (or one without a usable `model:`); the contract applies to every
 *   class deriving from DataFrameModel/TensorModel, and the file is out of scope without one.
 */
export type Role = 'model' | 'folder' | 'standalone';

/** Everything the Python rules share about one file. */
export interface PyCheck {
  readonly file: string;
  readonly mod: PyModule;
  readonly ctx: ModelContext;
  readonly role: Role;
  /** Classes deriving from the contract (as far as the module can tell). */
  readonly models: readonly ModelClass[];
  /** In the model module: the class the manifest names, when the file defines it. */
  readonly target?: ClassInfo;
  /** The manifest's kind, when it has a valid one. */
  readonly manifestKind?: ModelKind;
  readonly findings: Findings;
  range(node: { from: number; to: number }): Range;
}

export function makeCheck(file: string, text: string, ctx: ModelContext, findings: Findings, previous?: PyModule): PyCheck {
  const mod = parseFile(file, text, previous);
  const isLocal = ctx.isLocalModule;
  const models: ModelClass[] = [];
  for (const cls of mod.classes) {
    const derivation = derivationOf(mod, cls, isLocal);
    if (derivation.kind === 'dataframe' || derivation.kind === 'tensor') models.push({ cls, derivation });
  }
  const model = ctx.manifest?.model;
  const role: Role = model ? (ctx.modelModuleFile && samePath(ctx.modelModuleFile, file) ? 'model' : 'folder') : ctx.manifest ? 'folder' : 'standalone';
  const target = role === 'model' && model ? mod.classes.find((c) => c.name === model.className) : undefined;
  const manifestKind = ctx.manifest?.kind?.value;
  return {
    file,
    mod,
    ctx,
    role,
    models,
    ...(target ? { target } : {}),
    ...(manifestKind ? { manifestKind } : {}),
    findings,
    range: (node) => mod.lines.range(node.from, node.to),
  };
}

/** Whether a file is in the language server's scope: in a model folder, or defining a model class. */
export function inScope(check: PyCheck): boolean {
  return check.role !== 'standalone' || check.models.length > 0;
}

/** The classes the contract rules check, each with the kind it must satisfy. */
export function checkedClasses(check: PyCheck): { cls: ClassInfo; derivation: Derivation; kind?: ModelKind }[] {
  if (check.role === 'folder') return [];
  if (check.role === 'model') {
    if (check.target) {
      const derivation = check.models.find((m) => m.cls === check.target)?.derivation ?? derivationOf(check.mod, check.target, check.ctx.isLocalModule);
      return [{ cls: check.target, derivation, ...(check.manifestKind ? { kind: check.manifestKind } : {}) }];
    }
    return check.models.map((m) => ({ ...m, ...(check.manifestKind ? { kind: check.manifestKind } : {}) }));
  }
  return check.models.map((m) => ({ ...m, ...(m.derivation.kind === 'dataframe' || m.derivation.kind === 'tensor' ? { kind: m.derivation.kind } : {}) }));
}

export type MethodLookup = { readonly fn: FunctionInfo; readonly owner: ClassInfo } | 'assigned' | 'unknown' | undefined;

/**
 * Finds a method through the class and its bases defined in the same module. 'unknown' when a base
 * lies elsewhere (it may define the method), undefined when it is certainly missing.
 */
export function findMethod(check: PyCheck, cls: ClassInfo, name: string, seen: Set<string> = new Set()): MethodLookup {
  seen.add(cls.name);
  const own = cls.methods.get(name);
  if (own) return { fn: own, owner: cls };
  if (cls.attributes.has(name)) return 'assigned';
  let unknown = false;
  for (const base of cls.bases) {
    const local = base.name === 'VariableName' ? check.mod.classes.find((c) => c.name === check.mod.text.slice(base.from, base.to)) : undefined;
    if (local && !seen.has(local.name)) {
      const found = findMethod(check, local, name, seen);
      if (found) return found;
      continue;
    }
    if (baseKind(check, base) === 'unknown') unknown = true;
  }
  return unknown ? 'unknown' : undefined;
}

/** What a single base expression resolves to. */
function baseKind(check: PyCheck, base: SyntaxNode): Derivation['kind'] {
  const probe: ClassInfo = {
    name: '\0probe',
    nameNode: base,
    node: base,
    statement: base,
    bases: [base],
    methods: new Map(),
    attributes: new Set(),
  };
  return derivationOf(check.mod, probe, check.ctx.isLocalModule).kind;
}
