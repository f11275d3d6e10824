import type { SyntaxNode } from '@lezer/common';
import type { ModelKind } from '../../../model/manifest';
import { children, textOf, type ClassInfo, type PyModule } from './parse';

export const BASE_CLASS: Readonly<Record<ModelKind, string>> = { dataframe: 'DataFrameModel', tensor: 'TensorModel' };

/** How a class relates to the PyML contract, as far as this module can tell. */
export type Derivation =
  | {
      readonly kind: ModelKind;
      /** The base expression (in this class) through which it derives. */
      readonly base: SyntaxNode;
      /** False when the base is the bare name `DataFrameModel`/`TensorModel` that nothing imports. */
      readonly imported: boolean;
    }
  | { readonly kind: 'none' }
  | { readonly kind: 'unknown' };

/** Tells whether an import refers to code of the model folder (relative, or a module file in it). */
export type IsLocalModule = (module: string, level: number) => boolean;

const BUILTIN_BASES = new Set(['object', 'Exception', 'BaseException', 'dict', 'list', 'tuple', 'set', 'str', 'int', 'float', 'type']);

export function isPymlModule(module: string): boolean {
  return module === 'pyml' || module.startsWith('pyml.');
}

/** Whether and how `cls` derives from pyml.DataFrameModel / pyml.TensorModel. */
export function derivationOf(mod: PyModule, cls: ClassInfo, isLocal: IsLocalModule, seen: Set<string> = new Set()): Derivation {
  seen.add(cls.name);
  let unknown = false;
  for (const base of cls.bases) {
    const d = resolveBase(mod, base, isLocal, seen);
    if (d.kind === 'dataframe' || d.kind === 'tensor') return { ...d, base };
    if (d.kind === 'unknown') unknown = true;
  }
  return unknown ? { kind: 'unknown' } : { kind: 'none' };
}

function resolveBase(mod: PyModule, node: SyntaxNode, isLocal: IsLocalModule, seen: Set<string>): Derivation {
  if (node.name === 'VariableName') {
    const name = textOf(mod, node);
    const binding = mod.bindings.get(name);
    if (binding?.kind === 'from') {
      if (binding.level === 0 && isPymlModule(binding.module)) return contractClass(binding.name, node, true);
      return isLocal(binding.module, binding.level) ? { kind: 'unknown' } : { kind: 'none' };
    }
    if (binding?.kind === 'module') return { kind: 'unknown' };
    const local = mod.classes.find((c) => c.name === name);
    if (local) {
      if (seen.has(local.name)) return { kind: 'none' };
      const d = derivationOf(mod, local, isLocal, seen);
      return d.kind === 'dataframe' || d.kind === 'tensor' ? { ...d, base: node } : d;
    }
    if (name === 'DataFrameModel' || name === 'TensorModel') {
      const starred = mod.starImports.some(isPymlModule);
      return contractClass(name, node, starred);
    }
    if (BUILTIN_BASES.has(name)) return { kind: 'none' };
    return { kind: 'unknown' };
  }
  if (node.name === 'MemberExpression') {
    const dotted = dottedName(mod, node);
    if (!dotted) {
      // Generic[T], Base[...]: look at the subscripted object
      const object = node.firstChild;
      return object && node.getChild('[') ? resolveBase(mod, object, isLocal, seen) : { kind: 'unknown' };
    }
    const [root, ...rest] = dotted;
    const last = rest[rest.length - 1];
    if (!root || !last) return { kind: 'unknown' };
    const binding = mod.bindings.get(root);
    if (!binding) return { kind: 'unknown' };
    const module = binding.kind === 'module' ? [binding.module, ...rest.slice(0, -1)].join('.') : [binding.module, binding.name, ...rest.slice(0, -1)].join('.');
    if (binding.level === 0 && isPymlModule(module)) return contractClass(last, node, true);
    return isLocal(binding.module, binding.level) ? { kind: 'unknown' } : { kind: 'none' };
  }
  return { kind: 'unknown' };
}

function contractClass(name: string, base: SyntaxNode, imported: boolean): Derivation {
  if (name === 'DataFrameModel') return { kind: 'dataframe', base, imported };
  if (name === 'TensorModel') return { kind: 'tensor', base, imported };
  return { kind: 'none' };
}

/** `a.b.c` as ['a', 'b', 'c']; undefined for anything but names joined by dots. */
export function dottedName(mod: PyModule, node: SyntaxNode): string[] | undefined {
  if (node.name === 'VariableName') return [textOf(mod, node)];
  if (node.name !== 'MemberExpression') return undefined;
  const parts = children(node);
  const object = parts[0];
  const dot = parts[1];
  const prop = parts[2];
  if (!object || dot?.name !== '.' || prop?.name !== 'PropertyName' || parts.length !== 3) return undefined;
  const head = dottedName(mod, object);
  return head ? [...head, textOf(mod, prop)] : undefined;
}

/** The local name under which `module` is imported (`import pandas as pd` → 'pd'). */
export function moduleAlias(mod: PyModule, module: string): string | undefined {
  for (const [name, b] of mod.bindings) if (b.kind === 'module' && b.module === module) return name;
  return undefined;
}

/** The local name of `from module import name`. */
export function importedName(mod: PyModule, module: string, name: string): string | undefined {
  for (const [local, b] of mod.bindings) if (b.kind === 'from' && b.module === module && b.name === name) return local;
  return undefined;
}

export type TypeShape = 'dataframe' | 'dict' | 'ndarray' | 'none' | 'unknown';

/** What an annotation says a value is, from the annotation's syntax tree. */
export function annotationShape(mod: PyModule, node: SyntaxNode): TypeShape {
  if (node.name === 'None') return 'none';
  if (node.name === 'String') {
    const inner = textOf(mod, node).slice(1, -1).replace(/\s+/g, '');
    return shapeOfHead(inner.split('[')[0]?.split('.').pop() ?? '');
  }
  const head = headName(mod, node);
  return head === undefined ? 'unknown' : shapeOfHead(head);
}

function headName(mod: PyModule, node: SyntaxNode): string | undefined {
  if (node.name === 'VariableName') return textOf(mod, node);
  if (node.name === 'MemberExpression') {
    const parts = children(node);
    if (parts[1]?.name === '[') return parts[0] ? headName(mod, parts[0]) : undefined;
    const prop = parts[2];
    return prop?.name === 'PropertyName' ? textOf(mod, prop) : undefined;
  }
  return undefined;
}

function shapeOfHead(head: string): TypeShape {
  switch (head) {
    case 'DataFrame':
      return 'dataframe';
    case 'dict':
    case 'Dict':
    case 'Mapping':
    case 'MutableMapping':
      return 'dict';
    case 'ndarray':
    case 'NDArray':
    case 'ArrayLike':
      return 'ndarray';
    case 'None':
      return 'none';
    default:
      return 'unknown';
  }
}

/** The shape the contract wants for predict's argument and result. */
export function expectedShape(kind: ModelKind): 'dataframe' | 'dict' {
  return kind === 'dataframe' ? 'dataframe' : 'dict';
}

/** Whether an annotation of `shape` contradicts the contract of `kind`. */
export function contradicts(shape: TypeShape, kind: ModelKind): boolean {
  return shape !== 'unknown' && shape !== expectedShape(kind);
}
