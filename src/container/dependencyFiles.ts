/**
 * The dependency files of a model folder, read line by line: `requirements.txt` (pip) and
 * `packages.txt` (Debian packages, one a line). Pure functions; line numbers are zero-based.
 */

export interface RequirementLine {
  /** Zero-based line in the file. */
  readonly line: number;
  /** The requirement as written, without comment. */
  readonly text: string;
  /** The distribution name normalised as PEP 503 does (`Foo_Bar` → `foo-bar`); undefined for option lines. */
  readonly name?: string;
}

/** PEP 503 normalisation of a distribution name. */
export function normalizeDistName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** The requirement lines of a requirements.txt (continuations joined onto their first line). */
export function parseRequirements(text: string): RequirementLine[] {
  const lines = text.split(/\r?\n/);
  const out: RequirementLine[] = [];
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let content = stripComment(lines[i] ?? '');
    while (content.endsWith('\\') && i + 1 < lines.length) {
      content = content.slice(0, -1) + ' ' + stripComment(lines[++i] ?? '');
    }
    content = content.trim();
    if (!content) continue;
    const name = content.startsWith('-') ? undefined : distNameOf(content);
    out.push(name === undefined ? { line: start, text: content } : { line: start, text: content, name });
  }
  return out;
}

/** Whether pip has anything to do for this requirements.txt (no lines but comments and blanks: nothing). */
export function hasRequirements(text: string): boolean {
  return parseRequirements(text).length > 0;
}

/** The zero-based line of a distribution in a requirements.txt, by normalised name. */
export function findRequirement(text: string, distName: string): RequirementLine | undefined {
  const wanted = normalizeDistName(distName);
  return parseRequirements(text).find((r) => r.name === wanted);
}

export interface AptPackageLine {
  readonly line: number;
  /** The package as written, possibly with `=version` or `/release`. */
  readonly spec: string;
  /** The bare package name. */
  readonly name: string;
}

/** Debian packages of a packages.txt: one or more a line, `#` comments. */
export function parseAptPackages(text: string): AptPackageLine[] {
  const out: AptPackageLine[] = [];
  text.split(/\r?\n/).forEach((raw, line) => {
    for (const spec of stripComment(raw).trim().split(/\s+/)) {
      if (!spec) continue;
      const name = spec.split(/[=/]/, 1)[0] ?? spec;
      out.push({ line, spec, name });
    }
  });
  return out;
}

/** Whether a packages.txt entry is safe to put on an `apt-get install` command line. */
export function isValidAptSpec(spec: string): boolean {
  return /^[a-z0-9][a-z0-9+.-]*(?:[=][A-Za-z0-9.+~:-]+|\/[a-z0-9.-]+)?$/.test(spec);
}

function stripComment(line: string): string {
  // pip: a comment starts with '#' at the line start or after whitespace (URLs may hold '#egg=').
  const m = /(^|\s)#/.exec(line);
  return m ? line.slice(0, m.index) : line;
}

function distNameOf(requirement: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(requirement)) return undefined; // a bare URL names no distribution
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(requirement);
  return m?.[1] ? normalizeDistName(m[1]) : undefined;
}
