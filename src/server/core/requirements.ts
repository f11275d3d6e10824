/**
 * requirements.txt as pip reads it: one requirement (PEP 508) or option a line, `#` comments,
 * backslash continuations. Parsed by hand so every problem has a precise span and a reason.
 */

export interface Span {
  readonly line: number;
  readonly start: number;
  readonly end: number;
}

export type RequirementEntry =
  | {
      readonly kind: 'requirement';
      readonly line: number;
      readonly name: string;
      readonly normalized: string;
      readonly nameSpan: Span;
      /** The whole requirement, without comment and per-requirement options. */
      readonly span: Span;
    }
  | {
      readonly kind: 'option';
      readonly line: number;
      readonly option: string;
      readonly value: string;
      readonly valueSpan: Span;
      /** For `-e URL#egg=name` and similar: the distribution it installs, when it says. */
      readonly name?: string;
      readonly span: Span;
    }
  | {
      readonly kind: 'url';
      readonly line: number;
      readonly value: string;
      /** From `#egg=name`, a wheel or an sdist file name, or a folder name. */
      readonly name?: string;
      readonly span: Span;
    }
  | { readonly kind: 'invalid'; readonly line: number; readonly message: string; readonly span: Span; readonly replacement?: string }
  | { readonly kind: 'unknown-option'; readonly line: number; readonly option: string; readonly span: Span };

/** Options pip accepts on their own line in a requirements file. */
const LINE_OPTIONS: Readonly<Record<string, { readonly takesValue: boolean; readonly canonical: string }>> = {
  '-r': { takesValue: true, canonical: '--requirement' },
  '--requirement': { takesValue: true, canonical: '--requirement' },
  '-c': { takesValue: true, canonical: '--constraint' },
  '--constraint': { takesValue: true, canonical: '--constraint' },
  '-e': { takesValue: true, canonical: '--editable' },
  '--editable': { takesValue: true, canonical: '--editable' },
  '-i': { takesValue: true, canonical: '--index-url' },
  '--index-url': { takesValue: true, canonical: '--index-url' },
  '--extra-index-url': { takesValue: true, canonical: '--extra-index-url' },
  '--no-index': { takesValue: false, canonical: '--no-index' },
  '-f': { takesValue: true, canonical: '--find-links' },
  '--find-links': { takesValue: true, canonical: '--find-links' },
  '--no-binary': { takesValue: true, canonical: '--no-binary' },
  '--only-binary': { takesValue: true, canonical: '--only-binary' },
  '--prefer-binary': { takesValue: false, canonical: '--prefer-binary' },
  '--require-hashes': { takesValue: false, canonical: '--require-hashes' },
  '--pre': { takesValue: false, canonical: '--pre' },
  '--trusted-host': { takesValue: true, canonical: '--trusted-host' },
  '--use-feature': { takesValue: true, canonical: '--use-feature' },
};

/** Options pip accepts after a requirement on the same line. */
const PER_REQUIREMENT_OPTIONS = ['--hash', '--config-settings', '--global-option'];

const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?/;
const OPERATORS = ['===', '~=', '==', '!=', '<=', '>=', '<', '>'];
const VERSION = /^v?\d+(?:\.\d+)*(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?\d*)?(?:-\d+|[-_.]?(?:post|rev|r)[-_.]?\d*)?(?:[-_.]?dev[-_.]?\d*)?(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?$/i;

/** PEP 503 normalisation: `Scikit_Learn` and `scikit-learn` are the same distribution. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

export function parseRequirements(text: string): RequirementEntry[] {
  const physical = text.split(/\r?\n|\r/);
  const entries: RequirementEntry[] = [];
  for (let i = 0; i < physical.length; i++) {
    const first = i;
    let line = physical[i] ?? '';
    // Backslash continuations join lines; spans stay on the first line.
    while (line.endsWith('\\') && i + 1 < physical.length) {
      line = `${line.slice(0, -1)} ${(physical[++i] ?? '').trim()}`;
    }
    const entry = parseLine(stripComment(line), first);
    if (entry) entries.push(entry);
  }
  return entries;
}

/** Removes a comment: `#` at the start or after whitespace (a `#` inside a URL fragment stays). */
function stripComment(line: string): string {
  for (let i = 0; i < line.length; i++) {
    if (line.charAt(i) === '#' && (i === 0 || /\s/.test(line.charAt(i - 1)))) return line.slice(0, i);
  }
  return line;
}

function parseLine(raw: string, line: number): RequirementEntry | undefined {
  const content = raw.trimEnd();
  const start = content.length - content.trimStart().length;
  const body = content.slice(start);
  if (body.length === 0) return undefined;
  const span: Span = { line, start, end: content.length };
  if (body.startsWith('-')) return parseOption(body, line, start, span);
  if (isUrlOrPath(body)) return { kind: 'url', line, value: body, ...nameOf(body), span };
  return parseRequirement(body, line, start);
}

function parseOption(body: string, line: number, start: number, span: Span): RequirementEntry {
  let option: string;
  let value: string;
  const eq = body.indexOf('=');
  const space = body.search(/\s/);
  if (body.startsWith('--')) {
    const cut = [eq, space].filter((n) => n >= 0).reduce((a, b) => Math.min(a, b), body.length);
    option = body.slice(0, cut);
    value = body.slice(cut).replace(/^[=\s]+/, '');
  } else {
    option = body.slice(0, 2);
    value = body.slice(2).replace(/^[=\s]+/, '');
  }
  const known = LINE_OPTIONS[option];
  if (!known) return { kind: 'unknown-option', line, option, span: { line, start, end: start + option.length } };
  const valueStart = start + body.length - value.length;
  const valueSpan = { line, start: valueStart, end: valueStart + value.length };
  if (known.takesValue && value.length === 0) {
    return { kind: 'invalid', line, message: `'${option}' needs a value`, span };
  }
  if (!known.takesValue && value.length > 0) {
    return { kind: 'invalid', line, message: `'${option}' takes no value`, span };
  }
  const name = known.canonical === '--editable' ? nameOf(value).name : undefined;
  return { kind: 'option', line, option: known.canonical, value, valueSpan, ...(name !== undefined ? { name } : {}), span };
}

function isUrlOrPath(body: string): boolean {
  return (
    /^[a-z][a-z0-9+.-]*:\/\//i.test(body) ||
    body.startsWith('.') ||
    body.startsWith('/') ||
    body.startsWith('~') ||
    /^[A-Za-z]:[\\/]/.test(body) ||
    /\.(whl|zip|tar\.gz|tgz|tar\.bz2)$/i.test(body.split(/\s/)[0] ?? '')
  );
}

/** The distribution a URL or path installs, when it can be read from it. */
function nameOf(value: string): { name?: string } {
  const egg = /[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(value);
  if (egg?.[1]) return { name: egg[1] };
  const file = (value.split(/[?#]/)[0] ?? '').replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? '';
  const wheel = /^([A-Za-z0-9][A-Za-z0-9._]*?)-\d[^-]*(-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl$/.exec(file);
  if (wheel?.[1]) return { name: wheel[1] };
  const sdist = /^([A-Za-z0-9][A-Za-z0-9._-]*?)-\d[A-Za-z0-9.+!_-]*\.(?:tar\.gz|zip|tgz|tar\.bz2)$/.exec(file);
  if (sdist?.[1]) return { name: sdist[1] };
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value) && NAME.test(file) && NAME.exec(file)?.[0] === file) return { name: file };
  return {};
}

function parseRequirement(body: string, line: number, start: number): RequirementEntry {
  // Per-requirement options (`--hash=...`) end the requirement proper.
  let cut = body.length;
  for (const opt of PER_REQUIREMENT_OPTIONS) {
    const at = body.search(new RegExp(`\\s${opt}(?:[=\\s]|$)`));
    if (at >= 0) cut = Math.min(cut, at);
  }
  const req = body.slice(0, cut).trimEnd();
  const reqSpan: Span = { line, start, end: start + req.length };
  const fail = (message: string, replacement?: string): RequirementEntry => ({
    kind: 'invalid',
    line,
    message,
    span: reqSpan,
    ...(replacement !== undefined ? { replacement } : {}),
  });

  const words = req.split(/\s+/);
  if ((words[0] === 'pip' || words[0] === 'python') && words.includes('install')) {
    return fail("requirements.txt lists packages, not commands: write the package names alone, one a line");
  }
  const nameMatch = NAME.exec(req);
  if (!nameMatch) return fail(`'${req}' is not a valid requirement: a requirement starts with a distribution name`);
  const name = nameMatch[0];
  let rest = req.slice(name.length);
  const nameSpan: Span = { line, start, end: start + name.length };

  // extras: name[extra1, extra2]
  const restTrim = rest.trimStart();
  if (restTrim.startsWith('[')) {
    const close = restTrim.indexOf(']');
    if (close < 0) return fail(`'${req}': the extras list '[' is not closed`);
    const extras = restTrim.slice(1, close).split(',').map((e) => e.trim());
    if (extras.some((e) => e.length > 0 && !NAME.test(e))) return fail(`'${req}': invalid extra name`);
    rest = restTrim.slice(close + 1);
  }
  // marker: ; python_version < "3.12"
  const semi = rest.indexOf(';');
  const marker = semi >= 0 ? rest.slice(semi + 1).trim() : undefined;
  let spec = (semi >= 0 ? rest.slice(0, semi) : rest).trim();
  if (marker !== undefined && marker.length === 0) return fail(`'${req}': nothing after ';' (an environment marker was expected)`);

  const ok: RequirementEntry = { kind: 'requirement', line, name, normalized: normalizeName(name), nameSpan, span: reqSpan };
  if (spec.startsWith('@')) {
    return spec.slice(1).trim().length > 0 ? ok : fail(`'${req}': a URL is expected after '@'`);
  }
  if (spec.startsWith('(') && spec.endsWith(')')) spec = spec.slice(1, -1).trim();
  if (spec.length === 0) return ok;

  // Common slips first, with the fix spelled out.
  if (/^=[^=]/.test(spec)) {
    const fixed = `${name}==${spec.slice(1).trim()}`;
    return fail(`'${req}': use '==' to pin a version: '${fixed}'`, fixed);
  }
  if (/^v?\d/.test(spec)) {
    const fixed = `${name}==${spec}`;
    return fail(`'${req}': a version needs an operator, e.g. '${fixed}'`, fixed);
  }
  for (const clause of spec.split(',')) {
    const c = clause.trim();
    const op = OPERATORS.find((o) => c.startsWith(o));
    if (!op) return fail(`'${req}': '${c}' is not a version specifier (expected one of ${OPERATORS.join(' ')} followed by a version)`);
    const version = c.slice(op.length).trim();
    if (version.length === 0) return fail(`'${req}': '${op}' needs a version`);
    if (op === '===') continue;
    const wildcard = version.endsWith('.*');
    if (wildcard && op !== '==' && op !== '!=') return fail(`'${req}': '.*' is only allowed with '==' and '!='`);
    if (!VERSION.test(wildcard ? version.slice(0, -2) : version)) return fail(`'${req}': '${version}' is not a valid version`);
  }
  return ok;
}
