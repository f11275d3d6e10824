import type { SyntaxNode } from '@lezer/common';
import type { ModelKind } from '../../../model/manifest';
import { children, nestedScopeBetween, sameNode, textOf, type FunctionInfo, type PyModule } from './parse';
import { dottedName, importedName, moduleAlias } from './resolve';
import { stringValue } from './strings';

/** A name (dict key, DataFrame column) where the code writes it: a string literal or a keyword argument's name. */
export interface NameSite {
  readonly name: string;
  readonly node: SyntaxNode;
  readonly form: 'string' | 'keyword';
}

/** What one `return` of predict hands back, as far as the code shows it. */
export interface Returned {
  readonly statement: SyntaxNode;
  /** The returned expression. */
  readonly value: SyntaxNode;
  /** Names the returned value certainly holds, each where the code writes it. */
  readonly written: readonly NameSite[];
  /** The value is predict's own input (or built on it), still holding every input column or tensor. */
  readonly holdsInput: boolean;
  /** Every name the value can hold, when the code shows them all. */
  readonly all?: ReadonlySet<string>;
}

type ValueType = 'dict' | 'frame' | 'unknown';

interface Value {
  readonly type: ValueType;
  readonly written: readonly NameSite[];
  readonly holdsInput: boolean;
  readonly all?: ReadonlySet<string>;
}

/** Methods that change a dict or DataFrame in place (or, given `inplace=True`, any method). */
const MUTATORS = new Set(['pop', 'popitem', 'clear', 'update', 'setdefault', 'drop', 'rename', 'set_axis', 'set_index', 'reset_index', 'insert', 'reindex', '__delitem__', '__setitem__']);
const DATAFRAME_KEYWORDS = new Set(['index', 'columns', 'dtype', 'copy']);
const MAX_DEPTH = 4;

/**
 * The names predict's returns show: the keys of a dict literal (`{"digit": ...}`, `dict(digit=...)`),
 * the columns of `pd.DataFrame({...})`, `pd.DataFrame(x, columns=[...])`, `s.to_frame("y")`,
 * `df.assign(y=...)`, `df[["a", "b"]]`, and of a local variable assigned once such a value and then
 * given keys (`out["y"] = ...`) before it is returned. Anything the code does not show stays unknown:
 * a value that may lose names (`del`, `.pop`, `.drop`, `inplace=`, an alias) shows none, and one that
 * may gain names it does not spell (`**spread`, a non-literal key, a call that gets it) has no `all`.
 */
export function returnedValues(mod: PyModule, fn: FunctionInfo, param: string | undefined, kind: ModelKind): Returned[] {
  const body = fn.body;
  if (!body) return [];
  const evaluator = new Evaluator(mod, body, param, kind);
  const out: Returned[] = [];
  body.cursor().iterate((ref) => {
    const n = ref.node;
    if (n.name === 'FunctionDefinition' || n.name === 'ClassDefinition' || n.name === 'LambdaExpression') return false;
    if (n.name !== 'ReturnStatement') return undefined;
    const value = children(n).find((c) => c.name !== 'return' && c.name !== 'Comment' && !c.type.isError);
    if (!value || value.nextSibling?.name === ',') return false;
    const v = evaluator.value(value, n.from, 0);
    if (v && (v.type === 'unknown' || v.type === (kind === 'dataframe' ? 'frame' : 'dict'))) {
      out.push({ statement: n, value, written: v.written, holdsInput: v.holdsInput, ...(v.all ? { all: v.all } : {}) });
    }
    return false;
  });
  return out;
}

class Evaluator {
  constructor(
    private readonly mod: PyModule,
    private readonly body: SyntaxNode,
    private readonly param: string | undefined,
    private readonly kind: ModelKind,
  ) {}

  value(node: SyntaxNode, at: number, depth: number): Value | undefined {
    if (depth > MAX_DEPTH) return undefined;
    switch (node.name) {
      case 'ParenthesizedExpression': {
        const inner = children(node).filter((c) => c.name !== '(' && c.name !== ')');
        return inner.length === 1 && inner[0] ? this.value(inner[0], at, depth) : undefined;
      }
      case 'DictionaryExpression':
        return this.dictLiteral(node);
      case 'CallExpression':
        return this.call(node, at, depth);
      case 'VariableName':
        return this.variable(textOf(this.mod, node), at, depth);
      case 'MemberExpression':
        return this.columnSelection(node);
      default:
        return undefined;
    }
  }

  /** `{"a": x, "b": y}`; `**spread` and non-literal keys leave the set of keys open. */
  private dictLiteral(node: SyntaxNode): Value {
    const written: NameSite[] = [];
    let closed = true;
    let entryStart = true;
    for (const c of children(node)) {
      if (c.name === '{' || c.name === '}') continue;
      if (c.name === ',') {
        entryStart = true;
        continue;
      }
      if (!entryStart) continue;
      entryStart = false;
      const key = c.name === 'String' || c.name === 'ContinuedString' ? stringValue(c, this.mod.text) : undefined;
      if (key !== undefined && c.nextSibling?.name === ':') written.push({ name: key, node: c, form: 'string' });
      else closed = false;
    }
    return { type: 'dict', written, holdsInput: false, ...(closed ? { all: new Set(written.map((w) => w.name)) } : {}) };
  }

  private call(node: SyntaxNode, at: number, depth: number): Value | undefined {
    const callee = node.firstChild;
    const args = node.getChild('ArgList');
    if (!callee || !args) return undefined;
    const { positional, keywords, spread } = readArgs(this.mod, args);
    const dotted = dottedName(this.mod, callee);
    if (dotted?.length === 1 && dotted[0] === 'dict' && !this.mod.bindings.has('dict')) {
      const written = keywords.map((k) => ({ name: k.name, node: k.nameNode, form: 'keyword' as const }));
      const closed = !spread && positional.length === 0;
      return { type: 'dict', written, holdsInput: false, ...(closed ? { all: new Set(written.map((w) => w.name)) } : {}) };
    }
    if (dotted && this.isDataFrameClass(dotted)) return this.dataFrame(positional, keywords, spread, at, depth);
    if (callee.name !== 'MemberExpression') return undefined;
    const parts = children(callee);
    const object = parts[0];
    const method = parts[2];
    if (!object || parts[1]?.name !== '.' || method?.name !== 'PropertyName' || spread) return undefined;
    switch (textOf(this.mod, method)) {
      case 'to_frame': {
        const nameArg = positional[0] ?? keywords.find((k) => k.name === 'name')?.value;
        const name = nameArg ? stringValue(nameArg, this.mod.text) : undefined;
        if (!nameArg || name === undefined) return undefined;
        return { type: 'frame', written: [{ name, node: nameArg, form: 'string' }], holdsInput: false, all: new Set([name]) };
      }
      case 'assign': {
        if (positional.length > 0) return undefined;
        const base = this.value(object, at, depth + 1);
        if (base && base.type !== 'frame' && base.type !== 'unknown') return undefined;
        const added = keywords.map((k) => ({ name: k.name, node: k.nameNode, form: 'keyword' as const }));
        const all = base?.all ? new Set([...base.all, ...added.map((a) => a.name)]) : undefined;
        return { type: 'frame', written: [...(base?.written ?? []), ...added], holdsInput: base?.holdsInput ?? false, ...(all ? { all } : {}) };
      }
      case 'copy': {
        const base = this.value(object, at, depth + 1);
        return base && positional.length + keywords.filter((k) => k.name !== 'deep').length === 0 ? base : undefined;
      }
      default:
        return undefined;
    }
  }

  /** `pd.DataFrame({...})`, `pd.DataFrame(values, columns=[...])`, `pd.DataFrame(index=...)`. */
  private dataFrame(positional: readonly SyntaxNode[], keywords: readonly Keyword[], spread: boolean, at: number, depth: number): Value | undefined {
    if (spread || positional.length > 2 || keywords.some((k) => !DATAFRAME_KEYWORDS.has(k.name))) return undefined;
    const columns = keywords.find((k) => k.name === 'columns')?.value;
    if (columns) {
      const names = literalStrings(this.mod, columns);
      if (!names) return undefined;
      return { type: 'frame', written: names, holdsInput: false, all: new Set(names.map((n) => n.name)) };
    }
    const data = positional[0];
    if (!data) return { type: 'frame', written: [], holdsInput: false, all: new Set() };
    const v = this.value(data, at, depth + 1);
    if (!v || v.type === 'unknown') return undefined;
    return { ...v, type: 'frame' };
  }

  /** `df[["a", "b"]]`: a DataFrame with exactly those columns. */
  private columnSelection(node: SyntaxNode): Value | undefined {
    if (this.kind !== 'dataframe') return undefined;
    const parts = children(node);
    const index = parts[2];
    if (parts[1]?.name !== '[' || index?.name !== 'ArrayExpression' || parts.length !== 4) return undefined;
    const names = literalStrings(this.mod, index);
    return names ? { type: 'frame', written: names, holdsInput: false, all: new Set(names.map((n) => n.name)) } : undefined;
  }

  private isDataFrameClass(dotted: readonly string[]): boolean {
    if (dotted.length === 2) return dotted[1] === 'DataFrame' && dotted[0] === moduleAlias(this.mod, 'pandas');
    return dotted.length === 1 && dotted[0] === importedName(this.mod, 'pandas', 'DataFrame');
  }

  /** A local variable (or predict's argument) at the return at offset `at`. */
  private variable(name: string, at: number, depth: number): Value | undefined {
    const uses = this.usesOf(name);
    if (!uses) return undefined;
    let base: Value;
    if (name === this.param) {
      if (uses.defs.length > 0) return undefined;
      base = { type: this.kind === 'dataframe' ? 'frame' : 'dict', written: [], holdsInput: true };
    } else {
      const def = uses.defs[0];
      if (uses.defs.length !== 1 || !def || def.statement.from >= at) return undefined;
      base = this.value(def.value, def.statement.from, depth + 1) ?? { type: 'unknown', written: [], holdsInput: false };
    }
    if (uses.removes) return { type: base.type, written: [], holdsInput: false, ...(base.all && !uses.opens ? { all: allWith(base.all, uses.writes) } : {}) };
    const written = [...base.written, ...uses.writes.filter((w) => w.node.from < at)];
    return { type: base.type, written, holdsInput: base.holdsInput, ...(base.all && !uses.opens ? { all: allWith(base.all, uses.writes) } : {}) };
  }

  /**
   * How predict's body uses a name: its assignments, the literal keys written into it, whether
   * something may remove names from it or add names the code does not spell. Undefined when the
   * name is bound in a way this does not follow (loop or `with` target, unpacking, nested scope, global).
   */
  private usesOf(name: string): Uses | undefined {
    const defs: { statement: SyntaxNode; value: SyntaxNode }[] = [];
    const writes: NameSite[] = [];
    let removes = false;
    let opens = false;
    const state = { followable: true };
    const { mod, body } = this;
    body.cursor().iterate((ref) => {
      if (!state.followable) return false;
      const n = ref.node;
      if (n.name !== 'VariableName' || textOf(mod, n) !== name) return undefined;
      const parent = n.parent;
      if (!parent) return undefined;
      if (nestedScopeBetween(n, body)) {
        state.followable = false;
        return undefined;
      }
      if (parent.name === 'ArgList' && n.nextSibling?.name === 'AssignOp') return undefined; // f(name=...)
      if (parent.name === 'AssignStatement' && isTarget(parent, n)) {
        const targets = assignmentTargets(parent);
        const value = parent.lastChild;
        if (targets.length !== 1 || !value || value.name === 'AssignOp' || hasTopLevelComma(parent)) state.followable = false;
        else defs.push({ statement: parent, value });
        return undefined;
      }
      if (['ForStatement', 'WithStatement', 'ScopeStatement', 'UpdateStatement', 'NamedExpression', 'TupleExpression', 'ImportStatement', 'TryStatement'].includes(parent.name) && isBindingPosition(parent, n)) {
        state.followable = false;
        return undefined;
      }
      if (parent.name === 'MemberExpression' && sameNode(parent.firstChild, n)) {
        const use = memberUse(mod, parent);
        if (use.kind === 'write') {
          if (use.key) writes.push(use.key);
          else opens = true;
        } else if (use.kind === 'remove') {
          removes = true;
          opens = true;
        } else if (use.kind === 'open') {
          opens = true;
        }
        return undefined;
      }
      if (parent.name === 'ArgList') {
        opens = true; // a function that gets it may add names; removing them would be unusual
        return undefined;
      }
      if (parent.name === 'ReturnStatement' || parent.name === 'DeleteStatement') {
        if (parent.name === 'DeleteStatement') state.followable = false;
        return undefined;
      }
      if (['AssignStatement', 'ArrayExpression', 'TupleExpression', 'DictionaryExpression', 'SetExpression', 'NamedExpression', 'KeywordArgument'].includes(parent.name)) {
        // An alias (`other = name`, `[name]`): what happens to it is not followed.
        removes = true;
        opens = true;
      }
      return undefined;
    });
    return state.followable ? { defs, writes, removes, opens } : undefined;
  }
}

interface Uses {
  readonly defs: readonly { statement: SyntaxNode; value: SyntaxNode }[];
  readonly writes: readonly NameSite[];
  readonly removes: boolean;
  readonly opens: boolean;
}

function allWith(all: ReadonlySet<string>, writes: readonly NameSite[]): ReadonlySet<string> {
  return new Set([...all, ...writes.map((w) => w.name)]);
}

type MemberUse = { kind: 'write'; key?: NameSite } | { kind: 'remove' } | { kind: 'open' } | { kind: 'read' };

/** What `name[...]` or `name.attr` (the MemberExpression `member`) does to the value. */
function memberUse(mod: PyModule, member: SyntaxNode): MemberUse {
  const parts = children(member);
  const op = parts[1];
  const stmt = member.parent;
  if (op?.name === '[') {
    const index = parts[2];
    if (stmt?.name === 'DeleteStatement') return { kind: 'remove' };
    if (stmt?.name === 'AssignStatement' && isTarget(stmt, member)) {
      const key = index && (index.name === 'String' || index.name === 'ContinuedString') ? stringValue(index, mod.text) : undefined;
      return key !== undefined && index && parts.length === 4 ? { kind: 'write', key: { name: key, node: index, form: 'string' } } : { kind: 'write' };
    }
    return { kind: 'read' };
  }
  if (op?.name !== '.') return { kind: 'read' };
  const prop = parts[2];
  const attr = prop ? textOf(mod, prop) : '';
  if (stmt?.name === 'AssignStatement' && isTarget(stmt, member)) return { kind: 'remove' }; // df.columns = [...]
  if (stmt?.name === 'DeleteStatement') return { kind: 'remove' };
  // df.loc[:, "x"] = ... adds a column the code does spell, but not in a form followed here.
  const outer = stmt?.name === 'MemberExpression' ? stmt : undefined;
  if (outer && outer.parent?.name === 'AssignStatement' && isTarget(outer.parent, outer)) return { kind: 'open' };
  if (stmt?.name === 'CallExpression' && sameNode(stmt.firstChild, member)) {
    const args = stmt.getChild('ArgList');
    const inplace = args ? readArgs(mod, args).keywords.some((k) => k.name === 'inplace') : false;
    if (MUTATORS.has(attr) || inplace) return { kind: 'remove' };
  }
  return { kind: 'read' };
}

interface Keyword {
  readonly name: string;
  readonly nameNode: SyntaxNode;
  readonly value?: SyntaxNode;
}

function readArgs(mod: PyModule, args: SyntaxNode): { positional: SyntaxNode[]; keywords: Keyword[]; spread: boolean } {
  const positional: SyntaxNode[] = [];
  const keywords: Keyword[] = [];
  let spread = false;
  const parts = children(args).filter((c) => c.name !== '(' && c.name !== ')' && c.name !== 'Comment');
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (!p || p.name === ',') continue;
    if (p.type.isError) {
      spread = true;
      continue;
    }
    if (p.name === '*' || p.name === '**') {
      spread = true;
      i++;
      continue;
    }
    if (p.name === 'VariableName' && parts[i + 1]?.name === 'AssignOp') {
      const value = parts[i + 2];
      keywords.push({ name: textOf(mod, p), nameNode: p, ...(value ? { value } : {}) });
      i += 2;
      continue;
    }
    if (parts[i + 1] && parts[i + 1]?.name !== ',') spread = true; // a generator argument or something unusual
    positional.push(p);
  }
  return { positional, keywords, spread };
}

/** `["a", "b"]` or `("a", "b")` of string literals only. */
function literalStrings(mod: PyModule, node: SyntaxNode): NameSite[] | undefined {
  if (node.name !== 'ArrayExpression' && node.name !== 'TupleExpression') return undefined;
  const out: NameSite[] = [];
  for (const c of children(node)) {
    if (c.name === '[' || c.name === ']' || c.name === '(' || c.name === ')' || c.name === ',') continue;
    const value = c.name === 'String' || c.name === 'ContinuedString' ? stringValue(c, mod.text) : undefined;
    if (value === undefined) return undefined;
    out.push({ name: value, node: c, form: 'string' });
  }
  return out;
}

/** The target expressions of `a = b = value`. */
function assignmentTargets(stmt: SyntaxNode): SyntaxNode[] {
  const parts = children(stmt);
  const lastOp = parts.map((p) => p.name).lastIndexOf('AssignOp');
  return parts.slice(0, Math.max(0, lastOp)).filter((p) => p.name !== 'AssignOp' && p.name !== ',' && p.name !== 'TypeDef');
}

function isTarget(stmt: SyntaxNode, node: SyntaxNode): boolean {
  return assignmentTargets(stmt).some((t) => sameNode(t, node));
}

/** `a = 1, 2` or `a, b = ...`: a tuple on either side. */
function hasTopLevelComma(stmt: SyntaxNode): boolean {
  return children(stmt).some((c) => c.name === ',');
}

/** Whether `node` is where `parent` binds a name (a loop or `with` target, a walrus, `global`, `x += ...`). */
function isBindingPosition(parent: SyntaxNode, node: SyntaxNode): boolean {
  switch (parent.name) {
    case 'ForStatement': {
      const inKeyword = parent.getChild('in');
      return !!inKeyword && node.to <= inKeyword.from;
    }
    case 'WithStatement':
      return node.prevSibling?.name === 'as';
    case 'NamedExpression':
    case 'UpdateStatement':
      return sameNode(parent.firstChild, node);
    case 'TupleExpression': {
      const stmt = parent.parent;
      return !!stmt && (stmt.name === 'ForStatement' || (stmt.name === 'AssignStatement' && isTarget(stmt, parent)));
    }
    default:
      return true;
  }
}
