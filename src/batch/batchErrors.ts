/**
 * The failures of a batch run, each with a message that says what is wrong and where (an input that
 * cannot be read is the InputError of src/tables).
 */
import { messageOf } from '../tables/errors';

/** One column that does not fit the model: what the input has and what the model declares. */
export interface ColumnProblem {
  readonly column: string;
  readonly problem: string;
}

/** The input does not match the model's inputs (or the key columns are unusable); no row was sent. */
export class SchemaMismatchError extends Error {
  override readonly name = 'SchemaMismatchError';
  constructor(
    readonly problems: readonly ColumnProblem[],
    readonly inputColumns: readonly string[],
  ) {
    const listed = problems.map((p) => `  - '${p.column}': ${p.problem}`).join('\n');
    const columns = problems.map((p) => `'${p.column}'`).join(', ');
    super(
      `The input does not match the model; no row was sent. Column${problems.length === 1 ? '' : 's'} ${columns}:\n${listed}\n` +
        `The input has: ${inputColumns.length > 0 ? inputColumns.join(', ') : 'no columns'}.`,
    );
  }
}

/** A batch failed: its rows (0-based, end exclusive) and the cause. Nothing was written. */
export class BatchFailedError extends Error {
  override readonly name = 'BatchFailedError';
  constructor(
    /** One-based batch number. */
    readonly batch: number,
    /** First row of the batch, 0-based. */
    readonly rowStart: number,
    /** One past the last row of the batch, 0-based. */
    readonly rowEnd: number,
    override readonly cause: unknown,
  ) {
    super(`Batch ${batch} (${describeRows(rowStart, rowEnd)}) failed: ${messageOf(cause)}`);
  }
}

/** The user cancelled; nothing was written. */
export class BatchCancelledError extends Error {
  override readonly name = 'BatchCancelledError';
  constructor(readonly rowsDone: number) {
    super(`Batch prediction cancelled after ${rowsDone.toLocaleString('en-US')} row${rowsDone === 1 ? '' : 's'}; no output file was written.`);
  }
}

/** `rows 1-10000 of the input` for rows [0, 10000): one-based and inclusive, as people count data rows. */
export function describeRows(rowStart: number, rowEnd: number): string {
  return rowEnd - rowStart === 1 ? `row ${rowStart + 1} of the input` : `rows ${rowStart + 1}-${rowEnd} of the input`;
}
