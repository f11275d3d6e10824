/**
 * An incremental RFC 4180 CSV parser: text goes in chunk by chunk, complete rows come out, and an
 * incomplete last row waits for the next chunk. Fields may be quoted ("a, b", "say ""hi""", line
 * breaks inside quotes); rows end with LF or CRLF; empty lines are skipped.
 */

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

export class CsvParseError extends Error {
  override readonly name = 'CsvParseError';
}

export class CsvParser {
  private carry = '';
  private readonly delimiter: number;

  constructor(delimiter = ',') {
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
      throw new Error(`a CSV delimiter is one character other than a quote or line break, not ${JSON.stringify(delimiter)}`);
    }
    this.delimiter = delimiter.charCodeAt(0);
  }

  /** Parses what it can of `chunk` (after what was left over); returns the complete rows. */
  push(chunk: string): string[][] {
    const text = this.carry + chunk;
    const { rows, consumed } = this.parse(text, false);
    this.carry = text.slice(consumed);
    return rows;
  }

  /** The rows left at the end of the input; throws on an unterminated quoted field. */
  end(): string[][] {
    const { rows } = this.parse(this.carry, true);
    this.carry = '';
    return rows;
  }

  private parse(text: string, final: boolean): { rows: string[][]; consumed: number } {
    const rows: string[][] = [];
    const n = text.length;
    const delim = this.delimiter;
    let i = 0;
    rows: while (i < n) {
      // Empty lines are skipped.
      const first = text.charCodeAt(i);
      if (first === LF) {
        i++;
        continue;
      }
      if (first === CR) {
        if (i + 1 >= n && !final) return { rows, consumed: i };
        i += text.charCodeAt(i + 1) === LF ? 2 : 1;
        continue;
      }
      const rowStart = i;
      const fields: string[] = [];
      for (;;) {
        let value: string;
        if (i < n && text.charCodeAt(i) === QUOTE) {
          let j = i + 1;
          value = '';
          for (;;) {
            const q = text.indexOf('"', j);
            if (q < 0) {
              if (final) throw new CsvParseError(`a quoted field that starts at row ${rows.length + 1} of this part has no closing quote`);
              return { rows, consumed: rowStart };
            }
            if (q + 1 >= n && !final) return { rows, consumed: rowStart }; // a doubled quote may follow
            if (text.charCodeAt(q + 1) === QUOTE) {
              value += text.slice(j, q + 1);
              j = q + 2;
              continue;
            }
            value += text.slice(j, q);
            i = q + 1;
            break;
          }
          // Lenient: text between the closing quote and the next delimiter belongs to the field.
          const rest = i;
          while (i < n) {
            const c = text.charCodeAt(i);
            if (c === delim || c === LF || c === CR) break;
            i++;
          }
          if (i > rest) value += text.slice(rest, i);
        } else {
          const start = i;
          while (i < n) {
            const c = text.charCodeAt(i);
            if (c === delim || c === LF || c === CR) break;
            i++;
          }
          value = text.slice(start, i);
        }
        if (i >= n) {
          if (!final) return { rows, consumed: rowStart };
          fields.push(value);
          rows.push(fields);
          break rows;
        }
        fields.push(value);
        const c = text.charCodeAt(i);
        if (c === delim) {
          i++;
          if (i >= n && !final) return { rows, consumed: rowStart };
          if (i >= n) {
            fields.push('');
            rows.push(fields);
            break rows;
          }
          continue;
        }
        // A line break ends the row (CRLF, LF, or a lone CR).
        i++;
        if (c === CR) {
          if (i >= n && !final) return { rows, consumed: rowStart };
          if (i < n && text.charCodeAt(i) === LF) i++;
        }
        rows.push(fields);
        break;
      }
    }
    return { rows, consumed: i };
  }
}
