import { TreeFragment, type SyntaxNode, type Tree } from '@lezer/common';
import { parser } from '@lezer/python';
import { LineIndex } from '../text';
import type { Range } from '../types';

/**
 * A Python module as the rules see it: the lezer syntax tree (error-recovering, so half-typed code
 * still has one) and an outline of what the contract rules look at: imports, module-level bindings,
 * classes with their methods and parameters.
 */
export interface PyModule {
  readonly text: string;
  readonly tree: Tree;
  readonly lines: LineIndex;
  readonly imports: readonly ImportInfo[];
  /** Names bound at module level by import statements. */
  readonly bindings: ReadonlyMap<string, Binding>;
  /** Modules imported with `from M import *` at module level. */
  readonly starImports: readonly string[];
  readonly classes: readonly ClassInfo[];
  /** Lines with a `# pyml: ignore` comment: all codes, or the listed ones. */
  readonly suppressions: ReadonlyMap<number, ReadonlySet<string> | 'all'>;
  /** Every call expression, in source order (for the rules about files a model reads). */
  readonly calls: readonly SyntaxNode[];
}

export interface ImportInfo {
  /** The dotted module name as written, without the leading dots. */
  readonly module: string;
  /** Number of leading dots (relative import); 0 for absolute imports. */
  readonly level: number;
  readonly isFrom: boolean;
  /** The module name's span (the whole statement for `from . import x`). */
  readonly range: Range;
  readonly statement: SyntaxNode;
  /** Names imported by `from M import a, b as c`. */
  readonly names: readonly { readonly name: string; readonly alias?: string }[];
  /** Inside `try:` with an `except ImportError` (or broader), or under `if TYPE_CHECKING:`. */
  readonly guarded: boolean;
  /** Not inside a function or class body. */
  readonly moduleLevel: boolean;
}

export type Binding =
  | { readonly kind: 'module'; readonly module: string; readonly level: number }
  | { readonly kind: 'from'; readonly module: string; readonly level: number; readonly name: string };

export interface ClassInfo {
  readonly name: string;
  readonly nameNode: SyntaxNode;
  /** The ClassDefinition node. */
  readonly node: SyntaxNode;
  /** The statement: a DecoratedStatement around the class, or the ClassDefinition itself. */
  readonly statement: SyntaxNode;
  readonly argList?: SyntaxNode;
  /** Positional bases (keyword arguments such as metaclass= are left out). */
  readonly bases: readonly SyntaxNode[];
  readonly body?: SyntaxNode;
  readonly methods: ReadonlyMap<string, FunctionInfo>;
  /** Other names bound in the class body (`predict = other_function`). */
  readonly attributes: ReadonlySet<string>;
}

export interface FunctionInfo {
  readonly name: string;
  readonly nameNode: SyntaxNode;
  /** The FunctionDefinition node. */
  readonly node: SyntaxNode;
  readonly statement: SyntaxNode;
  readonly asyncNode?: SyntaxNode;
  readonly defNode?: SyntaxNode;
  /** Each decorator with its dotted name and where its expression ends (before any comment). */
  readonly decorators: readonly { readonly node: SyntaxNode; readonly name: string; readonly end: number }[];
  readonly paramList?: SyntaxNode;
  readonly params: readonly Param[];
  /** The return annotation's expression. */
  readonly returns?: SyntaxNode;
  readonly body?: SyntaxNode;
}

export interface Param {
  readonly name: string;
  readonly nameNode: SyntaxNode;
  readonly kind: 'positional' | 'keyword' | 'varargs' | 'varkw';
  readonly hasDefault: boolean;
  /** The annotation's expression. */
  readonly annotation?: SyntaxNode;
  /** The parameter's source span, including `*`, annotation and default. */
  readonly from: number;
  readonly to: number;
}

/**
 * Parses a module. Given the previous version of the same document, reuses the unchanged parts of
 * its tree (lezer's incremental parsing), so re-analysis while typing costs a fraction of a full parse.
 */
export function parsePython(text: string, previous?: PyModule): PyModule {
  const tree = parser.parse(text, previous ? reusable(previous, text) : undefined);
  const lines = new LineIndex(text);
  const imports: ImportInfo[] = [];
  const bindings = new Map<string, Binding>();
  const starImports: string[] = [];
  const suppressions = new Map<number, ReadonlySet<string> | 'all'>();
  const calls: SyntaxNode[] = [];

  const cursor = tree.cursor();
  do {
    const name = cursor.name;
    if (name === 'CallExpression') {
      calls.push(cursor.node);
    } else if (name === 'ImportStatement') {
      const node = cursor.node;
      for (const info of readImport(node, text, lines)) {
        imports.push(info);
        if (info.moduleLevel) bind(info, bindings, starImports);
      }
    } else if (name === 'Comment') {
      const s = suppression(text.slice(cursor.from, cursor.to));
      if (s) suppressions.set(lines.position(cursor.from).line, s);
    }
  } while (cursor.next());

  const classes: ClassInfo[] = [];
  for (let stmt = tree.topNode.firstChild; stmt; stmt = stmt.nextSibling) {
    const def = stmt.name === 'DecoratedStatement' ? stmt.getChild('ClassDefinition') : stmt.name === 'ClassDefinition' ? stmt : null;
    if (def) {
      const info = readClass(def, stmt, text);
      if (info) classes.push(info);
    }
  }
  return { text, tree, lines, imports, bindings, starImports, classes, suppressions, calls };
}

const CACHE_SIZE = 16;
const parsed = new Map<string, PyModule>();

/**
 * parsePython through a small per-file cache: the same text is not parsed twice (pyml.yaml's checks
 * and completions read model.py too), and a changed text is re-parsed incrementally from the last
 * version seen of that file.
 */
export function parseFile(file: string, text: string, previous?: PyModule): PyModule {
  const cached = parsed.get(file);
  if (cached?.text === text) return cached;
  const mod = parsePython(text, previous ?? cached);
  parsed.delete(file);
  parsed.set(file, mod);
  if (parsed.size > CACHE_SIZE) {
    const oldest = parsed.keys().next().value;
    if (oldest !== undefined) parsed.delete(oldest);
  }
  return mod;
}

/** Forgets every cached parse (benchmarks measure cold parses with it). */
export function clearParseCache(): void {
  parsed.clear();
}

/** The fragments of the previous tree that the edit from `previous.text` to `text` left intact. */
function reusable(previous: PyModule, text: string): readonly TreeFragment[] {
  const old = previous.text;
  const max = Math.min(old.length, text.length);
  let prefix = 0;
  while (prefix < max && old.charCodeAt(prefix) === text.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (suffix < max - prefix && old.charCodeAt(old.length - 1 - suffix) === text.charCodeAt(text.length - 1 - suffix)) suffix++;
  const change = { fromA: prefix, toA: old.length - suffix, fromB: prefix, toB: text.length - suffix };
  return TreeFragment.applyChanges(TreeFragment.addTree(previous.tree), [change]);
}

/** The source text of a node. */
export function textOf(mod: { readonly text: string }, node: SyntaxNode): string {
  return mod.text.slice(node.from, node.to);
}

/** Whether two node handles denote the same node (lezer creates handles on demand). */
export function sameNode(a: { from: number; to: number; name: string } | null | undefined, b: { from: number; to: number; name: string } | null | undefined): boolean {
  return !!a && !!b && a.from === b.from && a.to === b.to && a.name === b.name;
}

export function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

/** The statements of a Body node (or of the module), with `a; b` groups flattened. */
export function statements(body: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = body.firstChild; c; c = c.nextSibling) {
    if (c.name === 'StatementGroup') out.push(...statements(c));
    else if (c.type.isError || c.name === ':' || c.name === 'Comment' || c.name === ';') continue;
    else out.push(c);
  }
  return out;
}

/** Whether `node` lies inside a function, lambda or class nested within `outer` (exclusive). */
export function nestedScopeBetween(node: SyntaxNode, outer: SyntaxNode): boolean {
  for (let p = node.parent; p && p.from >= outer.from && !(p.from === outer.from && p.to === outer.to); p = p.parent) {
    if (p.name === 'FunctionDefinition' || p.name === 'LambdaExpression' || p.name === 'ClassDefinition') return true;
  }
  return false;
}

function readImport(node: SyntaxNode, text: string, lines: LineIndex): ImportInfo[] {
  const parts = children(node);
  const guarded = isGuarded(node, text);
  const moduleLevel = !hasAncestor(node, ['FunctionDefinition', 'ClassDefinition']);
  const first = parts[0];
  if (!first) return [];
  if (first.name === 'from') {
    let level = 0;
    let i = 1;
    let module = '';
    let from = -1;
    let to = -1;
    for (; i < parts.length; i++) {
      const p = parts[i];
      if (!p || p.name === 'import') break;
      if (p.name === '.') {
        if (from < 0) level++;
        else module += '.';
      } else if (p.name === 'Ellipsis') {
        level += 3;
      } else if (p.name === 'VariableName') {
        if (from < 0) from = p.from;
        to = p.to;
        module += text.slice(p.from, p.to);
      }
    }
    const names: { name: string; alias?: string }[] = [];
    for (i++; i < parts.length; i++) {
      const p = parts[i];
      if (!p) break;
      if (p.name === 'VariableName') {
        const next = parts[i + 1];
        const alias = next?.name === 'as' ? parts[i + 2] : undefined;
        const name = text.slice(p.from, p.to);
        if (alias?.name === 'VariableName') {
          names.push({ name, alias: text.slice(alias.from, alias.to) });
          i += 2;
        } else {
          names.push({ name });
        }
      } else if (p.name === '*') {
        names.push({ name: '*' });
      }
    }
    const span = from >= 0 ? lines.range(from, to) : lines.range(node.from, node.to);
    return [{ module, level, isFrom: true, range: span, statement: node, names, guarded, moduleLevel }];
  }
  // import a.b as c, d
  const out: ImportInfo[] = [];
  let module = '';
  let from = -1;
  let to = -1;
  let alias: string | undefined;
  const flush = (): void => {
    if (from >= 0) {
      out.push({
        module,
        level: 0,
        isFrom: false,
        range: lines.range(from, to),
        statement: node,
        names: alias !== undefined ? [{ name: module, alias }] : [],
        guarded,
        moduleLevel,
      });
    }
    module = '';
    from = -1;
    to = -1;
    alias = undefined;
  };
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i];
    if (!p) break;
    if (p.name === ',') flush();
    else if (p.name === 'as') {
      const a = parts[i + 1];
      if (a?.name === 'VariableName') alias = text.slice(a.from, a.to);
      i++;
    } else if (p.name === '.') module += '.';
    else if (p.name === 'VariableName') {
      if (from < 0) from = p.from;
      to = p.to;
      module += text.slice(p.from, p.to);
    }
  }
  flush();
  return out;
}

function bind(info: ImportInfo, bindings: Map<string, Binding>, starImports: string[]): void {
  if (!info.isFrom) {
    const alias = info.names[0]?.alias;
    if (alias !== undefined) bindings.set(alias, { kind: 'module', module: info.module, level: 0 });
    else {
      const top = info.module.split('.')[0] ?? info.module;
      if (top) bindings.set(top, { kind: 'module', module: top, level: 0 });
    }
    return;
  }
  for (const n of info.names) {
    if (n.name === '*') starImports.push(info.module);
    else bindings.set(n.alias ?? n.name, { kind: 'from', module: info.module, level: info.level, name: n.name });
  }
}

const IMPORT_ERRORS = new Set(['ImportError', 'ModuleNotFoundError', 'Exception', 'BaseException']);

/** Inside the body of `try:` whose handlers catch ImportError, or under `if TYPE_CHECKING:`. */
function isGuarded(node: SyntaxNode, text: string): boolean {
  let child: SyntaxNode = node;
  for (let p = node.parent; p; child = p, p = p.parent) {
    if (p.name === 'TryStatement' && child.name === 'Body' && child.prevSibling?.name === 'try') {
      if (catchesImportError(p, text)) return true;
    }
    if (p.name === 'IfStatement' && child.name === 'Body' && child.from === p.getChild('Body')?.from) {
      const condition = p.firstChild?.nextSibling;
      const cond = condition ? text.slice(condition.from, condition.to) : '';
      if (cond === 'TYPE_CHECKING' || cond === 'typing.TYPE_CHECKING') return true;
    }
  }
  return false;
}

function catchesImportError(tryNode: SyntaxNode, text: string): boolean {
  const parts = children(tryNode);
  for (let i = 0; i < parts.length; i++) {
    if (parts[i]?.name !== 'except') continue;
    const next = parts[i + 1];
    if (!next || next.name === 'Body') return true; // bare except
    const names: string[] = [];
    if (next.name === 'TupleExpression' || next.name === 'ParenthesizedExpression') {
      for (const c of children(next)) if (c.name === 'VariableName' || c.name === 'MemberExpression') names.push(text.slice(c.from, c.to));
    } else {
      names.push(text.slice(next.from, next.to));
    }
    if (names.some((n) => IMPORT_ERRORS.has(n.split('.').pop() ?? n))) return true;
  }
  return false;
}

function hasAncestor(node: SyntaxNode, names: readonly string[]): boolean {
  for (let p = node.parent; p; p = p.parent) if (names.includes(p.name)) return true;
  return false;
}

function readClass(def: SyntaxNode, statement: SyntaxNode, text: string): ClassInfo | undefined {
  const nameNode = def.getChild('VariableName');
  if (!nameNode) return undefined;
  const argList = def.getChild('ArgList') ?? undefined;
  const bases: SyntaxNode[] = [];
  if (argList) {
    const args = children(argList);
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (!a || a.name === '(' || a.name === ')' || a.name === ',' || a.type.isError) continue;
      if (a.name === 'VariableName' && args[i + 1]?.name === 'AssignOp') {
        // keyword argument: skip name, '=', value
        i += 2;
        continue;
      }
      if (a.name === '*' || a.name === '**') {
        i++;
        continue;
      }
      bases.push(a);
    }
  }
  const body = def.getChild('Body') ?? undefined;
  const methods = new Map<string, FunctionInfo>();
  const attributes = new Set<string>();
  if (body) {
    for (const stmt of statements(body)) {
      const fn = stmt.name === 'DecoratedStatement' ? stmt.getChild('FunctionDefinition') : stmt.name === 'FunctionDefinition' ? stmt : null;
      if (fn) {
        const info = readFunction(fn, stmt, text);
        if (info && !methods.has(info.name)) methods.set(info.name, info);
      } else if (stmt.name === 'AssignStatement') {
        for (const c of children(stmt)) {
          if (c.name === 'AssignOp') break;
          if (c.name === 'VariableName') attributes.add(text.slice(c.from, c.to));
        }
      }
    }
  }
  return {
    name: text.slice(nameNode.from, nameNode.to),
    nameNode,
    node: def,
    statement,
    ...(argList ? { argList } : {}),
    bases,
    ...(body ? { body } : {}),
    methods,
    attributes,
  };
}

function readFunction(def: SyntaxNode, statement: SyntaxNode, text: string): FunctionInfo | undefined {
  const nameNode = def.getChild('VariableName');
  if (!nameNode) return undefined;
  const decorators: { node: SyntaxNode; name: string; end: number }[] = [];
  if (statement.name === 'DecoratedStatement') {
    for (const d of statement.getChildren('Decorator')) {
      // @name, @a.b, @a.b(args): the dotted name before any argument list
      let name = '';
      for (let c = d.firstChild; c; c = c.nextSibling) {
        if (c.name === 'VariableName' || c.name === 'PropertyName' || c.name === '.') name += text.slice(c.from, c.to);
        else if (c.name !== 'At') break;
      }
      let end = d.from;
      for (let c = d.firstChild; c; c = c.nextSibling) if (c.name !== 'Comment' && !c.type.isError) end = c.to;
      decorators.push({ node: d, name, end });
    }
  }
  const paramList = def.getChild('ParamList') ?? undefined;
  const returnsDef = def.getChild('TypeDef');
  const returns = returnsDef?.lastChild ?? undefined;
  const body = def.getChild('Body') ?? undefined;
  const asyncNode = def.getChild('async') ?? undefined;
  const defNode = def.getChild('def') ?? undefined;
  return {
    name: text.slice(nameNode.from, nameNode.to),
    nameNode,
    node: def,
    statement,
    ...(asyncNode ? { asyncNode } : {}),
    ...(defNode ? { defNode } : {}),
    decorators,
    ...(paramList ? { paramList } : {}),
    params: paramList ? readParams(paramList, text) : [],
    ...(returns && returns.name !== ':' ? { returns } : {}),
    ...(body ? { body } : {}),
  };
}

function readParams(list: SyntaxNode, text: string): Param[] {
  const params: Param[] = [];
  let keywordOnly = false;
  let segment: SyntaxNode[] = [];
  const flush = (): void => {
    const items = segment.filter((n) => !n.type.isError);
    segment = [];
    if (items.length === 0) return;
    const star = items[0]?.name === '*' ? 'varargs' : items[0]?.name === '**' ? 'varkw' : undefined;
    const nameNode = items.find((n) => n.name === 'VariableName');
    if (!nameNode) {
      if (star === 'varargs') keywordOnly = true; // bare `*`
      return;
    }
    const typeDef = items.find((n) => n.name === 'TypeDef');
    const annotation = typeDef?.lastChild && typeDef.lastChild.name !== ':' ? typeDef.lastChild : undefined;
    const kind = star ?? (keywordOnly ? 'keyword' : 'positional');
    if (star === 'varargs') keywordOnly = true;
    const last = items[items.length - 1] ?? nameNode;
    params.push({
      name: text.slice(nameNode.from, nameNode.to),
      nameNode,
      kind,
      hasDefault: items.some((n) => n.name === 'AssignOp'),
      ...(annotation ? { annotation } : {}),
      from: items[0]?.from ?? nameNode.from,
      to: last.to,
    });
  };
  for (let c = list.firstChild; c; c = c.nextSibling) {
    if (c.name === '(' || c.name === ')') continue;
    if (c.name === ',') flush();
    else segment.push(c);
  }
  flush();
  return params;
}

/** `# pyml: ignore` or `# pyml: ignore[PYML200, PYML210]` in a comment token. */
function suppression(comment: string): ReadonlySet<string> | 'all' | undefined {
  const body = comment.replace(/^#\s*/, '');
  const marker = body.indexOf('pyml: ignore');
  if (marker < 0) return undefined;
  const rest = body.slice(marker + 'pyml: ignore'.length);
  if (!rest.startsWith('[')) return 'all';
  const close = rest.indexOf(']');
  const codes = rest
    .slice(1, close < 0 ? undefined : close)
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s.length > 0);
  return codes.length > 0 ? new Set(codes) : 'all';
}
