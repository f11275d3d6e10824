/**
 * The one error of reading input (a file, a query, cells typed in the panel, a value that does not
 * read as its column's type): a plain error whose message says what is wrong and where (file, row,
 * column).
 */
export class InputError extends Error {
  override readonly name = 'InputError';

  /** One error for several problems: the problem itself when there is one, else a list. */
  static listing(problems: readonly string[]): InputError {
    return new InputError(problems.length === 1 ? (problems[0] ?? '') : `${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
