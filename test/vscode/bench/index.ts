// Bench suite run in the extension host by bench/run.mjs: reads the activation time the extension
// measured itself (from the bundle's first line to the end of activate()) and writes it to the results file.
import * as vscode from 'vscode';
import { writeResults, type SuiteResults } from '../suite/results';
import { waitUntil } from '../suite/wait';

interface PymlApi {
  readonly activationMs: number;
}

export async function run(): Promise<void> {
  const results: SuiteResults = { passes: 0, failures: 0, pending: 0, tests: 1, failed: [] };
  try {
    const ext = vscode.extensions.getExtension<PymlApi>('pyml.pyml-vscode');
    if (!ext) throw new Error('extension pyml.pyml-vscode is not loaded');
    await waitUntil(() => ext.isActive, 'the extension to activate', 60_000);
    const activationMs = ext.exports.activationMs;
    if (typeof activationMs !== 'number') throw new Error('activate() did not return { activationMs: number }');
    results.passes = 1;
    results.figures = { activationMs };
    console.log(`activationMs=${activationMs.toFixed(2)}`);
  } catch (err) {
    results.failures = 1;
    results.failed.push({ title: 'activation time', message: err instanceof Error ? err.message : String(err) });
  }
  writeResults(results);
  if (results.failures) throw new Error(results.failed[0]?.message ?? 'bench failed');
}
