import type { Code, Severity } from './codes';

export type { Severity } from './codes';

/**
 * The analysis core's own vocabulary. Shapes match LSP's (zero-based lines, UTF-16 characters) so the
 * LSP layer converts without arithmetic, but nothing here imports LSP: the core runs in unit tests,
 * benchmarks and any other host.
 */

export interface Position {
  readonly line: number;
  readonly character: number;
}

export interface Range {
  readonly start: Position;
  readonly end: Position;
}

/** A replacement of `range` in `file` (absolute path) by `newText`. */
export interface TextEdit {
  readonly file: string;
  readonly range: Range;
  readonly newText: string;
}

/** A quick fix: edits across one or more files, some of which may have to be created first. */
export interface Fix {
  readonly title: string;
  readonly edits: readonly TextEdit[];
  /** Files (absolute paths) to create, empty, before the edits apply. */
  readonly create?: readonly string[];
  /** The fix to apply with "Fix all" / auto-fix when several are offered. */
  readonly preferred?: boolean;
}

/** One diagnostic with its fixes. */
export interface Finding {
  readonly code: Code;
  readonly severity: Severity;
  readonly message: string;
  /** Absolute path of the file the finding is in. */
  readonly file: string;
  readonly range: Range;
  readonly fixes: readonly Fix[];
}

export function position(line: number, character: number): Position {
  return { line, character };
}

export function range(start: Position, end: Position = start): Range {
  return { start, end };
}

export function comparePositions(a: Position, b: Position): number {
  return a.line - b.line || a.character - b.character;
}

export function containsPosition(r: Range, p: Position): boolean {
  return comparePositions(r.start, p) <= 0 && comparePositions(p, r.end) <= 0;
}

export function rangesIntersect(a: Range, b: Range): boolean {
  return comparePositions(a.start, b.end) <= 0 && comparePositions(b.start, a.end) <= 0;
}
