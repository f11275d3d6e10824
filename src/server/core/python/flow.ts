import type { SyntaxNode } from '@lezer/common';
import { children, nestedScopeBetween, statements, textOf, type PyModule } from './parse';

/**
 * Whether control can reach the end of a Body without `return` or `raise`: then the function returns
 * None. Conservative where Python is dynamic: `while True:` without `break` never falls through, a
 * `with` block is assumed not to swallow exceptions, a `match` falls through unless a case is
 * irrefutable.
 */
export function canFallThrough(mod: PyModule, body: SyntaxNode): boolean {
  for (const stmt of statements(body)) if (!completes(mod, stmt)) return false;
  return true;
}

/** Whether a statement can complete normally (control goes on to the next statement). */
function completes(mod: PyModule, stmt: SyntaxNode): boolean {
  switch (stmt.name) {
    case 'ReturnStatement':
    case 'RaiseStatement':
      return false;
    case 'IfStatement': {
      const bodies = stmt.getChildren('Body');
      if (!stmt.getChild('else')) return true;
      return bodies.some((b) => canFallThrough(mod, b));
    }
    case 'TryStatement':
      return tryCompletes(mod, stmt);
    case 'WithStatement': {
      const body = stmt.getChild('Body');
      return body ? canFallThrough(mod, body) : true;
    }
    case 'WhileStatement': {
      const parts = children(stmt);
      const condition = parts[1];
      const infinite = condition !== undefined && (textOf(mod, condition) === 'True' || textOf(mod, condition) === '1');
      const body = stmt.getChild('Body');
      if (infinite && body && !hasBreak(body)) return false;
      return true;
    }
    case 'MatchStatement':
      return matchCompletes(mod, stmt);
    case 'ExpressionStatement':
      return !isExitCall(mod, stmt);
    default:
      return true;
  }
}

function tryCompletes(mod: PyModule, stmt: SyntaxNode): boolean {
  const parts = children(stmt);
  let tryBody: SyntaxNode | undefined;
  let elseBody: SyntaxNode | undefined;
  let finallyBody: SyntaxNode | undefined;
  const handlers: SyntaxNode[] = [];
  let section: 'try' | 'except' | 'else' | 'finally' = 'try';
  for (const p of parts) {
    if (p.name === 'try' || p.name === 'except' || p.name === 'else' || p.name === 'finally') {
      section = p.name;
      continue;
    }
    if (p.name !== 'Body') continue;
    if (section === 'try') tryBody = p;
    else if (section === 'except') handlers.push(p);
    else if (section === 'else') elseBody = p;
    else finallyBody = p;
  }
  if (finallyBody && !canFallThrough(mod, finallyBody)) return false;
  const mainCompletes = (!tryBody || canFallThrough(mod, tryBody)) && (!elseBody || canFallThrough(mod, elseBody));
  return mainCompletes || handlers.some((h) => canFallThrough(mod, h));
}

function matchCompletes(mod: PyModule, stmt: SyntaxNode): boolean {
  const body = stmt.getChild('MatchBody');
  if (!body) return true;
  const clauses = body.getChildren('MatchClause');
  const exhaustive = clauses.some((c) => {
    const pattern = children(c)[1];
    return !c.getChild('Guard') && pattern?.name === 'CapturePattern';
  });
  if (!exhaustive) return true;
  return clauses.some((c) => {
    const b = c.getChild('Body');
    return !b || canFallThrough(mod, b);
  });
}

function isExitCall(mod: PyModule, stmt: SyntaxNode): boolean {
  const call = stmt.firstChild;
  if (call?.name !== 'CallExpression' || !call.firstChild) return false;
  const callee = textOf(mod, call.firstChild);
  return callee === 'sys.exit' || callee === 'exit' || callee === 'os._exit';
}

/** A `break` that belongs to this loop (not to a nested loop or function). */
function hasBreak(body: SyntaxNode): boolean {
  const cursor = body.cursor();
  let found = false;
  cursor.iterate((n) => {
    if (found) return false;
    if (n.name === 'ForStatement' || n.name === 'WhileStatement' || n.name === 'FunctionDefinition' || n.name === 'ClassDefinition') return false;
    if (n.name === 'BreakStatement') found = true;
    return undefined;
  });
  return found;
}

/** `return` and `return None` statements of a function body, not counting nested functions. */
export function valuelessReturns(body: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const cursor = body.cursor();
  cursor.iterate((n) => {
    if (n.name === 'FunctionDefinition' || n.name === 'ClassDefinition' || n.name === 'LambdaExpression') return false;
    if (n.name === 'ReturnStatement') {
      const node = n.node;
      const value = children(node).filter((c) => c.name !== 'return' && !c.type.isError);
      if (value.length === 0 || (value.length === 1 && value[0]?.name === 'None')) {
        if (!nestedScopeBetween(node, body)) out.push(node);
      }
      return false;
    }
    return undefined;
  });
  return out;
}

/** Whether a function body contains `yield` (it is then a generator, not a function returning a value). */
export function isGenerator(body: SyntaxNode): boolean {
  let found = false;
  body.cursor().iterate((n) => {
    if (found || n.name === 'FunctionDefinition' || n.name === 'ClassDefinition' || n.name === 'LambdaExpression') return false;
    if (n.name === 'YieldExpression' || n.name === 'YieldStatement' || n.name === 'yield') found = true;
    return undefined;
  });
  return found;
}
