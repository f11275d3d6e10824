import type { Findings } from '../report';
import type { Range } from '../types';

/** A Debian package name (Debian Policy 5.6.1), with an optional =version, /release or :arch. */
const PACKAGE = /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?(=[A-Za-z0-9.+~:-]+|\/[A-Za-z0-9.-]+)?$/;

/** PYML400 / PYML401: packages.txt holds one valid Debian package name a line, each once. */
export function checkPackages(file: string, text: string, findings: Findings): void {
  const seen = new Map<string, number>();
  text.split(/\r?\n|\r/).forEach((raw, line) => {
    const hash = raw.indexOf('#');
    const content = (hash >= 0 ? raw.slice(0, hash) : raw).trimEnd();
    const start = content.length - content.trimStart().length;
    const body = content.slice(start);
    if (body.length === 0) return;
    const range: Range = { start: { line, character: start }, end: { line, character: content.length } };
    const words = body.split(/\s+/);
    if (words.length > 1) {
      findings.add('PYML400', range, `one package a line: '${body}' holds ${words.length}`, [
        { title: 'Put each package on its own line', edits: [{ file, range, newText: words.join('\n') }], preferred: true },
      ]);
      return;
    }
    if (!PACKAGE.test(body)) {
      const lower = body.toLowerCase();
      const fixes = PACKAGE.test(lower) ? [{ title: `Change to '${lower}'`, edits: [{ file, range, newText: lower }], preferred: true }] : [];
      const why = body !== lower ? 'Debian package names are lower case' : "a name has at least two characters: lower-case letters, digits, '+', '-', '.', starting with a letter or digit";
      findings.add('PYML400', range, `'${body}' is not a valid Debian package name: ${why}`, fixes);
      return;
    }
    const name = body.split(/[=/:]/)[0] ?? body;
    const first = seen.get(name);
    if (first !== undefined) {
      findings.add('PYML401', range, `'${name}' is already listed on line ${first + 1}`, [
        { title: 'Remove this line', edits: [{ file, range: { start: { line, character: 0 }, end: { line: line + 1, character: 0 } }, newText: '' }], preferred: true },
      ]);
    } else {
      seen.set(name, line);
    }
  });
}
