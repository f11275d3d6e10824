import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyze, fileKind } from '../../../src/server/core/analyze';
import { DiskFileSystem } from '../../../src/server/core/fs';
import { applyEdits } from '../../../src/server/core/text';
import type { Finding, Fix } from '../../../src/server/core/types';

export const REPO = path.resolve(__dirname, '..', '..', '..', '..');
export const FIXTURES = path.join(REPO, 'test', 'fixtures', 'lsp');

/** Absolute path → text, laid over the disk like the editor's open documents. */
export type Overlay = Map<string, string>;

export function filesOf(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'data') out.push(...filesOf(full));
    } else if (fileKind(full) !== 'other') {
      out.push(full);
    }
  }
  return out.sort();
}

/** Analyses every model file of a folder; rule failures throw. */
export function analyzeFolder(dir: string, overlay: Overlay = new Map()): Finding[] {
  const files = [...new Set([...filesOf(dir), ...[...overlay.keys()].filter((f) => f.startsWith(dir + path.sep))])];
  return files.flatMap((f) => analyzeFile(f, overlay));
}

export function analyzeFile(file: string, overlay: Overlay = new Map()): Finding[] {
  const disk = new DiskFileSystem((f) => overlay.get(f));
  return [
    ...analyze(file, disk, [], (rule, err) => {
      throw new Error(`rule ${rule} threw on ${file}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }).findings,
  ];
}

/** `# expect: PYML001, PYML002` markers: "relative/file:line CODE" for each. */
export function expectedMarkers(dir: string): string[] {
  const out: string[] = [];
  for (const file of filesOf(dir)) {
    fs.readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const at = line.indexOf('# expect:');
        if (at < 0) return;
        for (const code of line.slice(at + '# expect:'.length).split(',')) {
          out.push(`${path.relative(dir, file)}:${i + 1} ${code.trim()}`);
        }
      });
  }
  return out.sort();
}

export function describeFindings(dir: string, findings: readonly Finding[]): string[] {
  return findings.map((f) => `${path.relative(dir, f.file)}:${f.range.start.line + 1} ${f.code}`).sort();
}

/** The texts of the files a fix touches, after applying it over `overlay`. */
export function applyFix(fix: Fix, overlay: Overlay = new Map()): Overlay {
  const next = new Map(overlay);
  const byFile = new Map<string, Fix['edits'][number][]>();
  for (const e of fix.edits) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  for (const [file, edits] of byFile) {
    const before = next.get(file) ?? (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
    next.set(file, applyEdits(before, edits));
  }
  for (const file of fix.create ?? []) if (!next.has(file)) next.set(file, '');
  return next;
}

/** The text of a file as `overlay` sees it. */
export function textOf(file: string, overlay: Overlay = new Map()): string {
  return overlay.get(file) ?? fs.readFileSync(file, 'utf8');
}

/** A model folder in a fresh temporary directory. */
export function tempFolder(files: Readonly<Record<string, string>>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyml-lsp-'));
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return dir;
}

export const MANIFEST = `name: churn
model: model:ChurnModel
kind: dataframe
inputs:
  - {name: tenure, dtype: int64}
  - {name: plan, dtype: string}
outputs:
  - {name: churn_probability, dtype: float64}
`;

/** Applies the fix titled `title` of the first `code` finding in `file` and returns the new texts. */
export function fixed(file: string, code: string, title: string | RegExp): Overlay {
  const finding = analyzeFile(file).find((f) => f.code === code);
  if (!finding) throw new Error(`no ${code} in ${file}: ${analyzeFile(file).map((f) => f.code).join(', ')}`);
  const fix = finding.fixes.find((f) => (typeof title === 'string' ? f.title === title : title.test(f.title)));
  if (!fix) throw new Error(`no fix "${String(title)}" for ${code}; fixes: ${finding.fixes.map((f) => f.title).join(' | ')}`);
  return applyFix(fix);
}
