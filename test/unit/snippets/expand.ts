/**
 * Expands a VS Code snippet body the way accepting every default does: `${1:default}` -> default
 * (nested placeholders too), `${1|a,b|}` -> a, `$1` / `${1}` -> the default of tabstop 1, `$0` -> ''.
 * Throws on syntax VS Code would not accept as a placeholder (an unclosed `${`).
 */
export function expandSnippet(body: string): string {
  const defaults = new Map<string, string>();
  // Two passes: the first learns each tabstop's default, the second fills mirrors with it.
  expand(body, defaults);
  return expand(body, defaults);
}

function expand(text: string, defaults: Map<string, string>): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i] ?? '';
    if (ch === '\\' && i + 1 < text.length && '$}\\'.includes(text[i + 1] ?? '')) {
      out += text[i + 1] ?? '';
      i += 2;
    } else if (ch === '$' && /[0-9]/.test(text[i + 1] ?? '')) {
      const m = /^\$(\d+)/.exec(text.slice(i));
      const n = m?.[1] ?? '';
      out += defaults.get(n) ?? '';
      i += n.length + 1;
    } else if (ch === '$' && text[i + 1] === '{') {
      const end = closingBrace(text, i + 1);
      const inner = text.slice(i + 2, end);
      const m = /^(\d+)(?::([\s\S]*)|\|([^|]*)\|)?$/.exec(inner);
      if (!m) throw new Error(`unsupported placeholder \${${inner}}`);
      const n = m[1] ?? '';
      let value: string;
      if (m[2] !== undefined) value = expand(m[2], defaults);
      else if (m[3] !== undefined) value = m[3].split(',')[0] ?? '';
      else value = defaults.get(n) ?? '';
      if (m[2] !== undefined || m[3] !== undefined) defaults.set(n, value);
      out += value;
      i = end + 1;
    } else {
      out += ch;
      i += 1;
    }
  }
  return out;
}

function closingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') i += 1;
    else if (ch === '{') depth += 1;
    else if (ch === '}' && --depth === 0) return i;
  }
  throw new Error(`unclosed \${ at ${open - 1}`);
}
