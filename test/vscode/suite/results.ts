// The result file a suite running in the extension host hands back to the runner outside it.
import * as fs from 'fs';
import * as path from 'path';

export interface SuiteResults {
  passes: number;
  failures: number;
  pending: number;
  tests: number;
  failed: { title: string; message: string }[];
  /** Extra figures (benchmarks). */
  figures?: Record<string, number>;
}

/** Writes the results to $PYML_TEST_RESULTS when the runner set it (code-server and test-electron both do). */
export function writeResults(results: SuiteResults): void {
  const file = process.env['PYML_TEST_RESULTS'];
  if (!file) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}
