import { severityOf, type Code } from './codes';
import type { Finding, Fix, Range } from './types';

/** Collects findings for one file, dropping those a `# pyml: ignore` comment silences. */
export class Findings {
  readonly list: Finding[] = [];

  constructor(
    readonly file: string,
    private readonly suppressed: (line: number, code: Code) => boolean = () => false,
  ) {}

  add(code: Code, range: Range, message: string, fixes: readonly Fix[] = [], file: string = this.file): void {
    if (file === this.file && this.suppressed(range.start.line, code)) return;
    this.list.push({ code, severity: severityOf(code), message, file, range, fixes });
  }
}
