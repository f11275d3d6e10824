import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { parseManifest, type ModelKind, type ParsedManifest, type TextPosition } from './manifest';

/** A span of the manifest text, zero-based, end exclusive. */
export interface TextRange {
  readonly start: TextPosition;
  readonly end: TextPosition;
}

export interface OutlineField {
  readonly index: number;
  readonly name: string;
  readonly dtype?: string;
  /** The name's value, e.g. `tenure` in `{name: tenure, dtype: int64}`. */
  readonly nameRange: TextRange;
  /** The whole item. */
  readonly range: TextRange;
}

export interface OutlineKey {
  /** Key path of the key, e.g. ['inputs', 0, 'dtype']. */
  readonly path: readonly (string | number)[];
  readonly range: TextRange;
}

/**
 * Where things are in a manifest, read as far as the text allows: the `model` and `kind` values and
 * the declared fields are reported even when another part of the manifest breaks the schema, so that
 * editors can keep checking the model code while the manifest is being edited.
 */
export interface ManifestOutline {
  readonly parsed: ParsedManifest;
  readonly model?: { readonly module: string; readonly className: string; readonly range: TextRange };
  readonly kind?: { readonly value: ModelKind; readonly range: TextRange };
  readonly inputs: readonly OutlineField[];
  readonly outputs: readonly OutlineField[];
  readonly keys: readonly OutlineKey[];
  /** Text and line offsets, for edits. */
  readonly text: string;
}

/** One edit of the manifest text. */
export interface ManifestEdit {
  readonly range: TextRange;
  readonly newText: string;
}

const MODEL_REF = /^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*):([A-Za-z_][A-Za-z0-9_]*)$/;

/** Reads the positions of a manifest's parts; never throws. */
export function outlineManifest(text: string): ManifestOutline {
  const parsed = parseManifest(text);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (from: number, to: number): TextRange => ({ start: pos(lineCounter, from), end: pos(lineCounter, Math.max(from, to)) });
  const scalar = (key: string): { value: string; range: TextRange } | undefined => {
    const node = doc.get(key, true);
    if (!isScalar(node) || typeof node.value !== 'string' || !node.range) return undefined;
    return { value: node.value, range: at(node.range[0], node.range[1]) };
  };

  const modelValue = scalar('model');
  const match = modelValue ? MODEL_REF.exec(modelValue.value.trim()) : null;
  const kindValue = scalar('kind');
  return {
    parsed,
    ...(modelValue && match?.[1] && match[2]
      ? { model: { module: match[1], className: match[2], range: modelValue.range } }
      : {}),
    ...(kindValue && (kindValue.value === 'dataframe' || kindValue.value === 'tensor')
      ? { kind: { value: kindValue.value, range: kindValue.range } }
      : {}),
    inputs: fieldsOf(doc, 'inputs', at),
    outputs: fieldsOf(doc, 'outputs', at),
    keys: keysOf(doc, at),
    text,
  };
}

/**
 * The edit that declares one more field in `inputs` or `outputs`, in the style of the fields already
 * there (flow `- {name: x, dtype: y}` or block `- name: x`), or a new section when there is none.
 */
export function declareFieldEdit(text: string, side: 'inputs' | 'outputs', name: string, dtype: string): ManifestEdit {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const lines = text.split('\n');
  const position = (offset: number): TextPosition => pos(lineCounter, offset);
  const endOfLine = (line: number): TextPosition => ({ line, character: (lines[line] ?? '').replace(/\r$/, '').length });
  const flowItem = `{name: ${yamlScalar(name)}, dtype: ${dtype}}`;
  const seq = doc.get(side, true);

  if (isSeq(seq) && seq.range) {
    const last = seq.items[seq.items.length - 1];
    if (seq.flow) {
      if (isNode(last) && last.range) {
        const at = position(last.range[1]);
        return { range: { start: at, end: at }, newText: `, ${flowItem}` };
      }
      const at = position(seq.range[0] + 1);
      return { range: { start: at, end: at }, newText: flowItem };
    }
    if (isNode(last) && last.range) {
      const start = position(last.range[0]);
      const endLine = position(lastNonSpace(text, last.range[0], last.range[1])).line;
      const linePrefix = (lines[start.line] ?? '').slice(0, start.character);
      const indent = ' '.repeat(linePrefix.length);
      const item = isMap(last) && !last.flow
        ? `${linePrefix}name: ${yamlScalar(name)}\n${indent}dtype: ${dtype}`
        : `${linePrefix}${flowItem}`;
      const at = endOfLine(endLine);
      return { range: { start: at, end: at }, newText: `\n${item}` };
    }
  }
  // No sequence yet: `inputs:` with nothing after it, or no key at all.
  const pair = isMap(doc.contents) ? doc.contents.items.find((p) => isScalar(p.key) && p.key.value === side) : undefined;
  if (pair && isScalar(pair.key) && (pair.value === null || (isScalar(pair.value) && pair.value.value === null))) {
    const at = endOfLine(position(pair.key.range[0]).line);
    return { range: { start: at, end: at }, newText: `\n  - ${flowItem}` };
  }
  const lastLine = lines.length - 1;
  const at = endOfLine(lastLine);
  const lead = (lines[lastLine] ?? '').length > 0 ? '\n' : '';
  return { range: { start: at, end: at }, newText: `${lead}${side}:\n  - ${flowItem}\n` };
}

/** The edit that sets the `kind` value (or adds the key). */
export function setKindEdit(text: string, kind: ModelKind): ManifestEdit {
  return setScalarEdit(text, 'kind', kind);
}

/** The edit that sets the `model` value (or adds the key). */
export function setModelEdit(text: string, module: string, className: string): ManifestEdit {
  return setScalarEdit(text, 'model', `${module}:${className}`);
}

function setScalarEdit(text: string, key: string, value: string): ManifestEdit {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number): TextPosition => pos(lineCounter, offset);
  const pair = isMap(doc.contents) ? doc.contents.items.find((p) => isScalar(p.key) && p.key.value === key) : undefined;
  if (pair && isScalar(pair.value) && pair.value.value !== null) {
    return { range: { start: at(pair.value.range[0]), end: at(pair.value.range[1]) }, newText: value };
  }
  if (pair && isScalar(pair.key)) {
    const line = at(pair.key.range[0]).line;
    const end = { line, character: (text.split('\n')[line] ?? '').replace(/\r$/, '').length };
    return { range: { start: end, end }, newText: ` ${value}` };
  }
  const origin = { line: 0, character: 0 };
  return { range: { start: origin, end: origin }, newText: `${key}: ${value}\n` };
}

function fieldsOf(doc: Document, side: 'inputs' | 'outputs', at: (from: number, to: number) => TextRange): OutlineField[] {
  const seq = doc.get(side, true);
  if (!isSeq(seq)) return [];
  const fields: OutlineField[] = [];
  seq.items.forEach((item, index) => {
    if (!isMap(item) || !item.range) return;
    const name = item.get('name', true);
    if (!isScalar(name) || !name.range) return;
    const nameValue = name.value;
    if (typeof nameValue !== 'string' && typeof nameValue !== 'number') return;
    const dtype = item.get('dtype');
    fields.push({
      index,
      name: String(nameValue),
      ...(typeof dtype === 'string' ? { dtype } : {}),
      nameRange: at(name.range[0], name.range[1]),
      range: at(item.range[0], item.range[1]),
    });
  });
  return fields;
}

function keysOf(doc: Document, at: (from: number, to: number) => TextRange): OutlineKey[] {
  const keys: OutlineKey[] = [];
  const visit = (node: unknown, path: (string | number)[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key) || !pair.key.range) continue;
        const key = String(pair.key.value);
        keys.push({ path: [...path, key], range: at(pair.key.range[0], pair.key.range[1]) });
        visit(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        visit(item, [...path, i]);
      });
    }
  };
  visit(doc.contents, []);
  return keys;
}

function isNode(value: unknown): value is YamlNode {
  return isMap(value) || isSeq(value) || isScalar(value);
}

function lastNonSpace(text: string, from: number, to: number): number {
  let i = Math.min(to, text.length) - 1;
  while (i > from && /\s/.test(text.charAt(i))) i--;
  return i;
}

function pos(lineCounter: LineCounter, offset: number): TextPosition {
  const { line, col } = lineCounter.linePos(offset);
  return { line: Math.max(0, line - 1), character: Math.max(0, col - 1) };
}

/** A name as a YAML plain scalar when that is safe, quoted otherwise. */
function yamlScalar(value: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(value) && !/^(true|false|null|yes|no|on|off|~)$/i.test(value)
    ? value
    : JSON.stringify(value);
}
