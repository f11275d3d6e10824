// Entry point of the extension test suite (the `run()` contract of @vscode/test-electron).
// Runs every *.test.js beside this file with mocha and writes the counts to $PYML_TEST_RESULTS,
// which the code-server runner (test/vscode/runner) and scripts/test.mjs read.
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';
import { writeResults, type SuiteResults } from './results';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort();
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  const results: SuiteResults = { passes: 0, failures: 0, pending: 0, tests: 0, failed: [] };
  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        const stats = runner.stats;
        results.passes = stats?.passes ?? 0;
        results.failures = failures;
        results.pending = stats?.pending ?? 0;
        results.tests = stats?.tests ?? 0;
        writeResults(results);
        if (failures > 0) reject(new Error(`${failures} of ${results.tests} extension tests failed`));
        else if (results.passes === 0) reject(new Error('the extension suite ran zero tests'));
        else resolve();
      });
      runner.on('fail', (test, err: unknown) => {
        results.failed.push({ title: test.fullTitle(), message: err instanceof Error ? err.message : String(err) });
      });
    } catch (err) {
      results.failures = 1;
      results.failed.push({ title: 'loading the suite', message: err instanceof Error ? err.message : String(err) });
      writeResults(results);
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
