import type { SyntaxNode } from '@lezer/common';
import * as path from 'path';
import type { PyCheck } from '../python/check';
import { children, textOf } from '../python/parse';
import { dottedName } from '../python/resolve';
import { stringContentSpan, stringValue } from '../python/strings';
import { closest } from '../text';
import type { Fix } from '../types';

/** Functions whose first argument is a file the model reads, by their full dotted name. */
const READERS = new Set([
  'open', 'io.open', 'pathlib.Path', 'joblib.load', 'torch.load', 'torch.jit.load', 'numpy.load', 'numpy.loadtxt',
  'numpy.genfromtxt', 'numpy.fromfile', 'onnxruntime.InferenceSession', 'cv2.imread', 'PIL.Image.open',
  'tensorflow.keras.models.load_model', 'keras.models.load_model', 'keras.saving.load_model', 'safetensors.torch.load_file',
]);

/** Methods, on any object, whose first argument is a file to read (`booster.load_model("data/x")`). */
const READER_METHODS = new Set(['load_model', 'load_weights']);

/**
 * PYML210 / PYML211: literal paths of files the model reads — `self.data_path("x")` (under data/),
 * `open("data/x")`, `joblib.load(...)`, `pd.read_csv(...)` and similar — must exist in the model
 * folder (the runtime's working directory); data_path() must stay inside data/.
 */
export function checkDataFiles(check: PyCheck): void {
  for (const call of check.mod.calls) {
    const callee = call.firstChild;
    const args = call.getChild('ArgList');
    if (!callee || !args) continue;
    const positional = positionalArgs(args);
    if (isDataPath(check, callee)) {
      dataPath(check, positional);
    } else if (readsFile(check, callee)) {
      const first = positional[0];
      if (first && !writes(check, callee, args, positional)) plainPath(check, first);
    }
  }
}

function positionalArgs(args: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const parts = children(args);
  for (let i = 0; i < parts.length; i++) {
    const a = parts[i];
    if (!a || a.name === '(' || a.name === ')' || a.name === ',' || a.type.isError) continue;
    if (a.name === 'VariableName' && parts[i + 1]?.name === 'AssignOp') return out; // keywords follow
    if (a.name === '*' || a.name === '**') return out;
    out.push(a);
  }
  return out;
}

function isDataPath(check: PyCheck, callee: SyntaxNode): boolean {
  if (callee.name !== 'MemberExpression') return false;
  const prop = callee.lastChild;
  return prop?.name === 'PropertyName' && textOf(check.mod, prop) === 'data_path';
}

function readsFile(check: PyCheck, callee: SyntaxNode): boolean {
  const dotted = dottedName(check.mod, callee);
  if (!dotted) return false;
  const last = dotted[dotted.length - 1] ?? '';
  if (dotted.length > 1 && READER_METHODS.has(last)) return true;
  const full = qualify(check, dotted);
  return READERS.has(full) || /^pandas\.read_[a-z]+$/.test(full);
}

/** `pd.read_csv` → `pandas.read_csv`, `Image.open` → `PIL.Image.open`, through the module's imports. */
function qualify(check: PyCheck, dotted: readonly string[]): string {
  const [head, ...rest] = dotted;
  if (head === undefined) return '';
  const binding = check.mod.bindings.get(head);
  if (!binding) return dotted.join('.');
  const base = binding.kind === 'module' ? binding.module : `${binding.module}.${binding.name}`;
  return [base, ...rest].join('.');
}

/** `open(path, "w")`, `open(path, mode="a")`: the file is written, so it need not exist. */
function writes(check: PyCheck, callee: SyntaxNode, args: SyntaxNode, positional: readonly SyntaxNode[]): boolean {
  const name = qualify(check, dottedName(check.mod, callee) ?? []);
  if (name !== 'open' && name !== 'io.open') return false;
  let mode = positional[1] ? stringValue(positional[1], check.mod.text) : undefined;
  const parts = children(args);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    const value = parts[i + 2];
    if (p?.name === 'VariableName' && textOf(check.mod, p) === 'mode' && parts[i + 1]?.name === 'AssignOp' && value) {
      mode = stringValue(value, check.mod.text);
    }
  }
  return mode !== undefined && /[wax+]/.test(mode);
}

function dataPath(check: PyCheck, args: readonly SyntaxNode[]): void {
  if (args.length === 0) return;
  const parts = args.map((a) => stringValue(a, check.mod.text));
  if (parts.some((p) => p === undefined)) return;
  const values = parts as string[];
  const first = args[0];
  const last = args[args.length - 1];
  if (!first || !last) return;
  const range = check.mod.lines.range(first.from, last.to);
  const data = path.join(check.ctx.root, 'data');
  const target = path.resolve(data, ...values);
  const shown = values.join('/');
  if (values.some((v) => path.isAbsolute(v)) || (target !== data && !target.startsWith(data + path.sep))) {
    check.findings.add('PYML211', range, `data_path("${shown}") leaves the model's data/ folder; the runtime raises ValueError`);
    return;
  }
  if (exists(check, target)) return;
  const only = args.length === 1 ? first : undefined;
  check.findings.add(
    'PYML210',
    range,
    `data/${path.relative(data, target).split(path.sep).join('/')} does not exist in the model folder`,
    only ? suggestion(check, only, target, values[0] ?? '') : [],
  );
}

function plainPath(check: PyCheck, arg: SyntaxNode): void {
  const value = stringValue(arg, check.mod.text);
  if (value === undefined || value.length === 0) return;
  if (path.isAbsolute(value) || value.startsWith('~') || value.includes('://') || value.startsWith('\\\\')) return;
  const target = path.resolve(check.ctx.root, value);
  if (exists(check, target)) return;
  check.findings.add(
    'PYML210',
    check.range(arg),
    `${value} does not exist in the model folder (paths are relative to the folder with pyml.yaml, the runtime's working directory)`,
    suggestion(check, arg, target, value),
  );
}

function exists(check: PyCheck, target: string): boolean {
  return check.ctx.files.isFile(target) || check.ctx.files.isDirectory(target);
}

/** "Did you mean": the closest existing name in the same directory. */
function suggestion(check: PyCheck, literal: SyntaxNode, target: string, written: string): Fix[] {
  const dir = path.dirname(target);
  const names = check.ctx.files.list(dir)?.filter((n) => !n.startsWith('.')) ?? [];
  const best = closest(path.basename(target), names);
  const span = stringContentSpan(literal, check.mod.text);
  if (best === undefined || !span) return [];
  const cut = Math.max(written.lastIndexOf('/'), written.lastIndexOf('\\'));
  const replacement = `${written.slice(0, cut + 1)}${best}`;
  return [
    {
      title: `Change to '${replacement}'`,
      edits: [{ file: check.file, range: check.mod.lines.range(span.from, span.to), newText: replacement }],
      preferred: true,
    },
  ];
}
