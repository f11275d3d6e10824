import * as path from 'path';
import { distributionForImportName } from '../packages';
import { parseRequirements, type Span } from '../requirements';
import type { Findings } from '../report';
import type { FileSystem } from '../fs';
import type { Range } from '../types';

/**
 * PYML300-304: requirements.txt lines pip would reject, unknown options, duplicates, import names
 * used where a distribution name belongs (`sklearn`), and `-r` files that do not exist.
 */
export function checkRequirements(file: string, text: string, files: FileSystem, findings: Findings): void {
  const seen = new Map<string, number>();
  const lineOf = (span: Span): Range => ({ start: { line: span.line, character: span.start }, end: { line: span.line, character: span.end } });
  const removeLine = (line: number): Range => ({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } });
  for (const e of parseRequirements(text)) {
    switch (e.kind) {
      case 'invalid':
        findings.add(
          'PYML300',
          lineOf(e.span),
          e.message,
          e.replacement !== undefined ? [{ title: `Change to '${e.replacement}'`, edits: [{ file, range: lineOf(e.span), newText: e.replacement }], preferred: true }] : [],
        );
        break;
      case 'unknown-option':
        findings.add('PYML301', lineOf(e.span), `pip does not accept '${e.option}' in a requirements file`);
        break;
      case 'option':
        if (e.option === '--requirement' || e.option === '--constraint') {
          const included = path.resolve(path.dirname(file), e.value);
          if (!files.isFile(included)) findings.add('PYML304', lineOf(e.valueSpan), `${e.value} does not exist (relative to ${path.basename(file)})`);
        }
        break;
      case 'requirement': {
        const first = seen.get(e.normalized);
        if (first !== undefined) {
          findings.add('PYML302', lineOf(e.nameSpan), `'${e.name}' is already required on line ${first + 1}`, [
            { title: 'Remove this line', edits: [{ file, range: removeLine(e.line), newText: '' }], preferred: true },
          ]);
        } else {
          seen.set(e.normalized, e.line);
        }
        const dist = distributionForImportName(e.name);
        if (dist !== undefined) {
          findings.add('PYML303', lineOf(e.nameSpan), `'${e.name}' is the name you import; the distribution to install is '${dist}'`, [
            { title: `Change to '${dist}'`, edits: [{ file, range: lineOf(e.nameSpan), newText: dist }], preferred: true },
          ]);
        }
        break;
      }
      case 'url':
        break;
    }
  }
}
