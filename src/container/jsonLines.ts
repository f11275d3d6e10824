/** Splits a byte stream of newline-separated JSON values (the engine's streaming answers). */
export class JsonLines {
  private buffer = '';

  /** The complete lines in `chunk` (plus what was left over before), parsed; a line that is not JSON stays a string. */
  push(chunk: Buffer | string): unknown[] {
    this.buffer += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const out: unknown[] = [];
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line) out.push(parse(line));
    }
    return out;
  }

  /** What is left at the end of the stream. */
  end(): unknown[] {
    const rest = this.buffer.trim();
    this.buffer = '';
    return rest ? [parse(rest)] : [];
  }
}

function parse(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return line;
  }
}
