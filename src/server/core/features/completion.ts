import type { SyntaxNode } from '@lezer/common';
import * as path from 'path';
import { toV2Datatype } from '../../../model/dtypes';
import type { Analysis } from '../analyze';
import { makeCheck, type PyCheck } from '../python/check';
import { Findings } from '../report';
import { children, textOf } from '../python/parse';
import { stringContentSpan } from '../python/strings';
import { predictInput } from '../rules/columnsRule';
import { LineIndex } from '../text';
import type { Position, Range } from '../types';
import { DTYPES, schemaKeysAt } from './docs';

export interface CompletionEntry {
  readonly label: string;
  readonly kind: 'field' | 'property' | 'value' | 'class';
  readonly detail?: string;
  readonly documentation?: string;
  /** Replace this range with `newText` (defaults: the word at the cursor, the label). */
  readonly edit?: { readonly range: Range; readonly newText: string };
}

/** Column names inside `df["…"]` in predict; keys and values in pyml.yaml. */
export function completionsAt(analysis: Analysis, at: Position): CompletionEntry[] {
  if (analysis.kind === 'manifest') return manifestCompletions(analysis, at);
  const check = analysis.python;
  if (!check) return [];
  return columnCompletions(check, at);
}

function columnCompletions(check: PyCheck, at: Position): CompletionEntry[] {
  const manifest = check.ctx.manifest;
  const input = predictInput(check);
  if (!manifest || !input || manifest.inputs.length === 0) return [];
  const offset = check.mod.lines.offset(at);
  const body = input.fn.body;
  if (!body || offset < body.from || offset > body.to) return [];
  const node = check.mod.tree.resolveInner(offset, -1);
  const fields = manifest.inputs;
  const detail = (dtype: string | undefined): string => (dtype !== undefined ? `${dtype} (${toV2Datatype(dtype) ?? '?'})` : 'input');

  // df["te|"] (also while the string is still unterminated)
  const literal = node.name === 'String' ? node : node.parent?.name === 'String' ? node.parent : undefined;
  if (literal && subscriptOfParam(check, literal, input.param)) {
    const span = stringContentSpan(literal, check.mod.text);
    if (!span || offset < span.from) return [];
    const to = Math.max(offset, span.to);
    const range = check.mod.lines.range(span.from, Math.min(to, check.mod.lines.lineEnd(at.line)));
    return fields.map((f) => ({ label: f.name, kind: 'field', detail: detail(f.dtype), documentation: 'input declared in pyml.yaml', edit: { range, newText: f.name } }));
  }
  // df.te| (DataFrame models only; names that are identifiers)
  if (input.kind === 'dataframe') {
    const member = node.name === 'PropertyName' ? node.parent : node.name === '.' ? node.parent : undefined;
    const object = member?.name === 'MemberExpression' ? member.firstChild : undefined;
    if (object?.name === 'VariableName' && textOf(check.mod, object) === input.param && children(member ?? object)[1]?.name === '.') {
      return fields
        .filter((f) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(f.name))
        .map((f) => ({ label: f.name, kind: 'field', detail: detail(f.dtype), documentation: 'input column declared in pyml.yaml' }));
    }
  }
  return [];
}

/** Whether a string literal is the index of `param[...]` (or of `param.loc[..., ...]`), possibly inside a list. */
function subscriptOfParam(check: PyCheck, literal: SyntaxNode, param: string): boolean {
  for (let n: SyntaxNode | null = literal.parent; n; n = n.parent) {
    if (n.name === 'ArrayExpression' || n.name === 'ContinuedString' || n.name === 'TupleExpression') continue;
    if (n.name !== 'MemberExpression') return false;
    const parts = children(n);
    const object = parts[0];
    if (parts[1]?.name !== '[' || !object) {
      // error recovery can wrap the string in a member expression of its own: keep climbing
      if (object && object.from === literal.from) continue;
      return false;
    }
    if (object.name === 'VariableName' && textOf(check.mod, object) === param) return true;
    const inner = children(object);
    if (object.name === 'MemberExpression' && inner[0]?.name === 'VariableName' && textOf(check.mod, inner[0]) === param && inner[2] && textOf(check.mod, inner[2]) === 'loc') return true;
    if (object.from === literal.from) continue;
    return false;
  }
  return false;
}

function manifestCompletions(analysis: Analysis, at: Position): CompletionEntry[] {
  const outline = analysis.ctx?.manifest;
  if (!outline) return [];
  const lines = new LineIndex(outline.text);
  const lineText = lines.lineText(at.line);
  const before = lineText.slice(0, at.character);

  // Values: after `kind:`, `dtype:`, `model:`
  const value = /(^|[\s{,])(kind|dtype|model|thread_safe):\s*([^\s,}]*)$/.exec(before);
  if (value) {
    const key = value[2];
    const typed = value[3] ?? '';
    const range: Range = { start: { line: at.line, character: at.character - typed.length }, end: at };
    const values = valuesFor(key ?? '', analysis);
    return values.map((v) => ({ label: v.label, kind: 'value', ...(v.detail !== undefined ? { detail: v.detail } : {}), edit: { range, newText: v.label } }));
  }

  // Keys: at the start of a line (after indentation or "- "), or after "{" / "," in a flow map.
  const flow = /[{,]\s*([A-Za-z_]*)$/.exec(before);
  const block = /^(\s*)(-\s+)?([A-Za-z_]*)$/.exec(before);
  if (!flow && !block) return [];
  const typed = (flow?.[1] ?? block?.[3]) ?? '';
  const range: Range = { start: { line: at.line, character: at.character - typed.length }, end: at };
  const parent = flow ? flowParent(lines, at.line) : blockParent(lines, at.line, (block?.[1] ?? '').length, (block?.[2] ?? '').length);
  if (!parent) return [];
  const keyPath = parent.path;
  const present = new Set<string>();
  if (flow) {
    const inBraces = before.slice(before.lastIndexOf('{') + 1);
    for (const m of inBraces.matchAll(/([A-Za-z_]+)\s*:/g)) if (m[1]) present.add(m[1]);
  } else {
    const from = parent.itemLine ?? 0;
    for (const k of outline.keys) {
      if (k.path.length !== keyPath.length + 1 || k.range.start.line === at.line) continue;
      if (parent.itemLine !== undefined && (k.path[0] !== keyPath[0] || k.range.start.line < from || k.range.start.line > at.line)) continue;
      if (parent.itemLine === undefined && !keyPath.every((p, i) => k.path[i] === p)) continue;
      present.add(String(k.path[k.path.length - 1]));
    }
  }
  const keys = schemaKeysAt(keyPath);
  return Object.entries(keys)
    .filter(([k]) => !present.has(k) || k === typed)
    .map(([k, node]) => ({
      label: k,
      kind: 'property' as const,
      ...(node.description !== undefined ? { documentation: node.description } : {}),
      edit: { range, newText: `${k}: ` },
    }));
}

function valuesFor(key: string, analysis: Analysis): { label: string; detail?: string }[] {
  switch (key) {
    case 'kind':
      return [
        { label: 'dataframe', detail: 'predict(DataFrame) -> DataFrame' },
        { label: 'tensor', detail: 'predict(dict of arrays) -> dict of arrays' },
      ];
    case 'dtype':
      return DTYPES.map((d) => ({ label: d, detail: toV2Datatype(d) ?? '' }));
    case 'thread_safe':
      return [{ label: 'false' }, { label: 'true' }];
    case 'model':
      return modelCandidates(analysis);
    default:
      return [];
  }
}

/** `module:Class` for each model class in the folder's top-level Python files. */
function modelCandidates(analysis: Analysis): { label: string; detail?: string }[] {
  const ctx = analysis.ctx;
  if (!ctx) return [];
  const out: { label: string; detail?: string }[] = [];
  for (const name of ctx.files.list(ctx.root) ?? []) {
    if (!name.endsWith('.py')) continue;
    const file = path.join(ctx.root, name);
    const text = ctx.files.readText(file);
    if (text === undefined || text.length > 500_000) continue;
    const check = makeCheck(file, text, ctx, new Findings(file));
    for (const m of check.models) out.push({ label: `${name.slice(0, -3)}:${m.cls.name}`, detail: m.derivation.kind });
  }
  return out;
}

/**
 * The key path of the map a block-style key belongs to, from the lines above: `indent` spaces, then
 * `dash` characters of a "- " list item marker.
 */
function blockParent(lines: LineIndex, line: number, indent: number, dash: number): KeyContext | undefined {
  const content = indent + dash;
  if (content === 0) return { path: [] };
  for (let l = line - 1; l >= 0; l--) {
    const text = lines.lineText(l);
    if (text.trim().length === 0 || text.trimStart().startsWith('#')) continue;
    const own = text.length - text.trimStart().length;
    const item = /^\s*-\s+/.exec(text)?.[0];
    // "  - name: x" above "    dtype|": a key of that list item
    if (dash === 0 && item !== undefined && item.length === content) {
      const section = sectionOf(lines, l, own);
      return section ? { path: section, itemLine: l } : undefined;
    }
    if (dash > 0 && item !== undefined && own === indent) continue; // a sibling item
    if (dash > 0 ? own <= indent : own < content) {
      const key = /^\s*([A-Za-z_]+):\s*(#.*)?$/.exec(text)?.[1];
      if (key === undefined) return undefined;
      if (key === 'inputs' || key === 'outputs') return dash > 0 ? { path: [key, 0], itemLine: line } : undefined;
      return dash > 0 ? undefined : { path: [key] };
    }
  }
  return dash > 0 ? undefined : { path: [] };
}

interface KeyContext {
  readonly path: readonly (string | number)[];
  /** For a key of a list item: the line where the item starts. */
  readonly itemLine?: number;
}

/** The `inputs:` / `outputs:` key a list item at `indent` on `line` belongs to. */
function sectionOf(lines: LineIndex, line: number, indent: number): (string | number)[] | undefined {
  for (let l = line - 1; l >= 0; l--) {
    const text = lines.lineText(l);
    if (text.trim().length === 0 || text.trimStart().startsWith('#')) continue;
    const own = text.length - text.trimStart().length;
    if (own > indent || (own === indent && /^\s*-\s/.test(text))) continue;
    const key = /^\s*([A-Za-z_]+):\s*(#.*)?$/.exec(text)?.[1];
    return key === 'inputs' || key === 'outputs' ? [key, 0] : undefined;
  }
  return undefined;
}

/** Inside `- {name: x, |}` on a line under `inputs:`/`outputs:`. */
function flowParent(lines: LineIndex, line: number): KeyContext | undefined {
  for (let l = line; l >= 0; l--) {
    const key = /^\s*(inputs|outputs):/.exec(lines.lineText(l))?.[1];
    if (key !== undefined) return { path: [key, 0] };
    if (l < line && /^[A-Za-z_]/.test(lines.lineText(l))) return undefined;
  }
  return undefined;
}
