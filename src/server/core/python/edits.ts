import type { ModelKind } from '../../../model/manifest';
import type { TextEdit } from '../types';
import { statements, type ClassInfo, type PyModule } from './parse';
import { BASE_CLASS, importedName, moduleAlias } from './resolve';

/** Builds the Python edits quick fixes need, in the style of the file at hand. */
export class PythonEdits {
  private readonly pending = new Map<string, string>();

  constructor(
    private readonly mod: PyModule,
    private readonly file: string,
  ) {}

  /** The local name of `from module import name`, adding the import if needed. */
  fromImport(module: string, name: string): string {
    const bound = importedName(this.mod, module, name);
    if (bound) return bound;
    if (module === 'pyml') {
      const pyml = moduleAlias(this.mod, 'pyml');
      if (pyml) return `${pyml}.${name}`;
    }
    this.pending.set(`from ${module} import ${name}`, name);
    return name;
  }

  /** The local name of `import module [as alias]`, adding the import if needed. */
  moduleImport(module: string, alias: string): string {
    const bound = moduleAlias(this.mod, module);
    if (bound) return bound;
    this.pending.set(`import ${module} as ${alias}`, alias);
    return alias;
  }

  /** The base class expression for `kind`, imported. */
  baseClass(kind: ModelKind): string {
    return this.fromImport('pyml', BASE_CLASS[kind]);
  }

  /** The annotation predict's argument and result carry for `kind`, with what it needs imported. */
  annotation(kind: ModelKind): string {
    if (kind === 'dataframe') return `${this.moduleImport('pandas', 'pd')}.DataFrame`;
    return `dict[str, ${this.moduleImport('numpy', 'np')}.ndarray]`;
  }

  /** The edits adding the imports asked for so far, then `edits`. */
  with(...edits: TextEdit[]): TextEdit[] {
    if (this.pending.size === 0) return edits;
    const offset = importInsertionOffset(this.mod);
    const at = this.mod.lines.position(offset);
    const text = [...this.pending.keys()].map((line) => `${line}\n`).join('');
    return [{ file: this.file, range: { start: at, end: at }, newText: text }, ...edits];
  }

  /** Insert `text` (already indented lines, no trailing newline) as the last member of a class. */
  appendToClass(cls: ClassInfo, text: string): TextEdit {
    const end = lastCodeOffset(this.mod, cls.body ?? cls.node);
    const line = this.mod.lines.position(end).line;
    const at = { line, character: this.mod.lines.lineText(line).length };
    return { file: this.file, range: { start: at, end: at }, newText: `\n\n${text}` };
  }

  /** Insert `text` (indented lines) before the first method of a class, or at its end. */
  prependMethod(cls: ClassInfo, text: string): TextEdit {
    const first = cls.body
      ? statements(cls.body).find((s) => s.name === 'FunctionDefinition' || s.name === 'DecoratedStatement')
      : undefined;
    if (!first) return this.appendToClass(cls, text);
    const line = this.mod.lines.position(first.from).line;
    const at = { line, character: 0 };
    return { file: this.file, range: { start: at, end: at }, newText: `${text}\n\n` };
  }

  /** The indentation of a class's members. */
  memberIndent(cls: ClassInfo): string {
    const first = cls.body ? statements(cls.body)[0] : undefined;
    if (first) {
      const pos = this.mod.lines.position(first.from);
      const lineText = this.mod.lines.lineText(pos.line);
      const indent = lineText.slice(0, lineText.length - lineText.trimStart().length);
      if (indent.length > 0 && pos.line !== this.mod.lines.position(cls.node.from).line) return indent;
    }
    return `${this.classIndent(cls)}    `;
  }

  private classIndent(cls: ClassInfo): string {
    const lineText = this.mod.lines.lineText(this.mod.lines.position(cls.statement.from).line);
    return lineText.slice(0, lineText.length - lineText.trimStart().length);
  }
}

/** After the leading imports (and docstring) of a module: where a new import line goes. */
export function importInsertionOffset(mod: PyModule): number {
  let after = -1;
  let first = true;
  for (let stmt = mod.tree.topNode.firstChild; stmt; stmt = stmt.nextSibling) {
    if (stmt.name === 'Comment') continue;
    if (stmt.name === 'ImportStatement') after = stmt.to;
    else if (first && stmt.name === 'ExpressionStatement' && (stmt.firstChild?.name === 'String' || stmt.firstChild?.name === 'ContinuedString')) after = stmt.to;
    else break;
    first = false;
  }
  if (after < 0) return 0;
  const line = mod.lines.position(after).line;
  return mod.lines.lineStart(line + 1) > after ? mod.lines.lineStart(line + 1) : after;
}

/** Offset just after the last non-blank, non-comment character inside a node. */
function lastCodeOffset(mod: PyModule, node: { from: number; to: number }): number {
  let end = node.to;
  while (end > node.from && /\s/.test(mod.text.charAt(end - 1))) end--;
  return end;
}

/** The method a quick fix inserts for `predict` of `kind`. */
export function predictTemplate(edits: PythonEdits, kind: ModelKind, indent: string, outputs: readonly string[]): string {
  const type = edits.annotation(kind);
  const arg = kind === 'dataframe' ? 'df' : 'tensors';
  const what = outputs.length > 0 ? outputs.map((o) => `'${o}'`).join(', ') : 'the outputs';
  return [
    `${indent}def predict(self, ${arg}: ${type}) -> ${type}:`,
    `${indent}    raise NotImplementedError("compute ${what.replace(/"/g, '\\"')} from ${arg}")`,
  ].join('\n');
}

/** The constructor a quick fix inserts. */
export function initTemplate(indent: string): string {
  return [`${indent}def __init__(self) -> None:`, `${indent}    # load parameters here, e.g. joblib.load(self.data_path("model.joblib"))`, `${indent}    pass`].join('\n');
}

/** The text of a node, for messages. */
export function short(mod: PyModule, node: { from: number; to: number }, max = 40): string {
  const t = mod.text.slice(node.from, node.to).replace(/\s+/g, ' ');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}
