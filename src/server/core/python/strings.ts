import type { SyntaxNode } from '@lezer/common';

/**
 * The value of a string literal node (`String`, or a `ContinuedString` of plain strings such as
 * `"data/" "model.pkl"`); undefined for f-strings and anything that is not a literal.
 */
export function stringValue(node: SyntaxNode, source: string): string | undefined {
  if (node.name === 'String') return decodeStringToken(source.slice(node.from, node.to));
  if (node.name === 'ContinuedString') {
    let out = '';
    for (let child = node.firstChild; child; child = child.nextSibling) {
      if (child.name !== 'String') return undefined;
      const part = decodeStringToken(source.slice(child.from, child.to));
      if (part === undefined) return undefined;
      out += part;
    }
    return out;
  }
  return undefined;
}

/** Offsets of the contents of a string token (inside the quotes), for edits and completions. */
export function stringContentSpan(node: SyntaxNode, source: string): { from: number; to: number } | undefined {
  if (node.name !== 'String') return undefined;
  const token = source.slice(node.from, node.to);
  const parts = splitToken(token);
  if (!parts) return undefined;
  const from = node.from + parts.prefix.length + parts.quote.length;
  return { from, to: from + parts.body.length };
}

/** Whether a string token has its closing quote (it does not while being typed). */
export function stringTerminated(node: SyntaxNode, source: string): boolean {
  if (node.name === 'ContinuedString') {
    for (let child = node.firstChild; child; child = child.nextSibling) if (!stringTerminated(child, source)) return false;
    return true;
  }
  return splitToken(source.slice(node.from, node.to))?.terminated ?? false;
}

interface TokenParts {
  prefix: string;
  quote: string;
  body: string;
  terminated: boolean;
}

function splitToken(token: string): TokenParts | undefined {
  let i = 0;
  while (i < token.length && 'rRbBuU'.includes(token.charAt(i))) i++;
  const prefix = token.slice(0, i);
  const q = token.charAt(i);
  if (q !== '"' && q !== "'") return undefined;
  const quote = token.startsWith(q.repeat(3), i) ? q.repeat(3) : q;
  const rest = token.slice(i + quote.length);
  const terminated = rest.length >= quote.length && rest.endsWith(quote) && !endsWithEscape(rest.slice(0, rest.length - quote.length), prefix);
  const body = terminated ? rest.slice(0, rest.length - quote.length) : rest;
  return { prefix, quote, body, terminated };
}

function endsWithEscape(body: string, prefix: string): boolean {
  if (/[rR]/.test(prefix)) return false;
  let n = 0;
  for (let i = body.length - 1; i >= 0 && body.charAt(i) === '\\'; i--) n++;
  return n % 2 === 1;
}

/** Decodes one Python string token (with prefix and quotes). Undefined for f-strings. */
export function decodeStringToken(token: string): string | undefined {
  const parts = splitToken(token);
  if (!parts) return undefined;
  if (/[rR]/.test(parts.prefix)) return parts.body;
  return unescape(parts.body);
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '',
};

function unescape(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body.charAt(i);
    if (c !== '\\' || i + 1 >= body.length) {
      out += c;
      continue;
    }
    const next = body.charAt(i + 1);
    const simple = SIMPLE_ESCAPES[next];
    if (next === '\r') {
      i += body.charAt(i + 2) === '\n' ? 2 : 1; // line continuation
    } else if (simple !== undefined) {
      out += simple;
      i++;
    } else if (next === 'x' || next === 'u' || next === 'U') {
      const width = next === 'x' ? 2 : next === 'u' ? 4 : 8;
      const hex = body.slice(i + 2, i + 2 + width);
      const code = /^[0-9a-fA-F]+$/.test(hex) && hex.length === width ? parseInt(hex, 16) : NaN;
      if (Number.isNaN(code) || code > 0x10ffff) {
        out += c;
      } else {
        out += String.fromCodePoint(code);
        i += 1 + width;
      }
    } else if (next >= '0' && next <= '7') {
      let j = i + 1;
      while (j < body.length && j < i + 4 && body.charAt(j) >= '0' && body.charAt(j) <= '7') j++;
      out += String.fromCharCode(parseInt(body.slice(i + 1, j), 8));
      i = j - 1;
    } else {
      out += c; // unknown escapes stay as written, like Python
    }
  }
  return out;
}
