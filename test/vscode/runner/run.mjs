#!/usr/bin/env node
// node test/vscode/runner/run.mjs --tests out/test/vscode/suite/index.js --results FILE [--name vscode]
//   [--workspace DIR] [--timeout SECONDS (default 900)]
// Runs one extension test suite in code-server + Chromium and exits with its result.
import path from 'node:path';
import { reportFatal } from '../../../scripts/lib/log.mjs';
import { repoRoot, resultsDir } from '../../../scripts/lib/paths.mjs';
import { defaultWorkspace, runSuite } from './suite.mjs';

/** @param {string[]} argv */
function parseArgs(argv) {
  /** @type {Record<string, string>} */
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i] ?? '';
    if (!key.startsWith('--')) throw new Error(`unexpected argument ${key}`);
    args[key.slice(2)] = argv[++i] ?? '';
  }
  return args;
}

try {
  const args = parseArgs(process.argv.slice(2));
  const name = args.name || 'vscode';
  const abs = (/** @type {string} */ p) => path.resolve(repoRoot, p);
  const run = await runSuite({
    name,
    extensionTestsPath: abs(args.tests || 'out/test/vscode/suite/index.js'),
    resultsFile: abs(args.results || path.join(resultsDir, name, 'results.json')),
    workspace: abs(args.workspace || defaultWorkspace),
    timeoutMs: Number(args.timeout || 900) * 1000,
  });
  const r = /** @type {{ passes?: number, failures?: number, failed?: { title: string, message: string }[] } | undefined} */ (run.results);
  if (r) {
    console.log(`extension suite: ${r.passes ?? 0} passing, ${r.failures ?? 0} failing (exit code ${run.exitCode})`);
    for (const f of r.failed ?? []) console.log(`  FAILED ${f.title}: ${f.message}`);
  } else {
    console.log(`extension suite: no results file was written (exit code ${run.exitCode})`);
  }
  process.exitCode = run.exitCode === 0 && r && !r.failures ? 0 : 1;
} catch (err) {
  reportFatal(err);
}
