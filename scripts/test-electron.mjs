#!/usr/bin/env node
// npm run test:electron: the extension suite (out/test/vscode/suite) in VS Code desktop via @vscode/test-electron.
// Needs VS Code: PYML_VSCODE_EXECUTABLE, or a download from update.code.visualstudio.com (laptops, hosted CI).
// Where neither is possible (our machines) it stops at once and points at `npm run test:vscode` (code-server).
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { SetupError, heading, info, reportFatal } from './lib/log.mjs';
import { cacheDir, repoRoot, resultsDir } from './lib/paths.mjs';
import { mustRun } from './lib/proc.mjs';
import { freshWorkspace, defaultWorkspace } from '../test/vscode/runner/suite.mjs';

const DOWNLOAD_HOST = 'update.code.visualstudio.com';

/** Whether the VS Code download server answers within a few seconds. */
function canDownload() {
  return new Promise((resolve) => {
    const req = https.request({ host: DOWNLOAD_HOST, path: '/api/releases/stable', method: 'HEAD', timeout: 8000 }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 400);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
    req.end();
  });
}

async function main() {
  heading('extension suite in VS Code desktop (@vscode/test-electron)');
  const executable = process.env.PYML_VSCODE_EXECUTABLE;
  if (executable && !fs.existsSync(executable)) throw new SetupError(`PYML_VSCODE_EXECUTABLE=${executable} does not exist.`);
  if (!executable && !(await canDownload())) {
    throw new SetupError(`VS Code cannot be downloaded here (${DOWNLOAD_HOST} does not answer).\n`
      + 'Run the same suite in code-server instead:  npm run test:vscode\n'
      + 'or point PYML_VSCODE_EXECUTABLE at an installed VS Code (e.g. /usr/share/code/code).');
  }
  await mustRun('npm', ['run', 'build'], { cwd: repoRoot, output: 'inherit' });
  await mustRun('npm', ['run', 'compile-tests'], { cwd: repoRoot, output: 'inherit' });
  const { runTests } = await import('@vscode/test-electron');
  const dir = path.join(cacheDir, 'vscode-electron');
  const workspace = freshWorkspace(defaultWorkspace, path.join(dir, 'workspace'));
  const resultsFile = path.join(resultsDir, 'electron', 'results.json');
  fs.rmSync(resultsFile, { force: true });
  fs.rmSync(path.join(dir, 'user-data'), { recursive: true, force: true });
  const exitCode = await runTests({
    ...(executable ? { vscodeExecutablePath: executable } : { cachePath: path.join(dir, 'download') }),
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: path.join(repoRoot, 'out', 'test', 'vscode', 'suite', 'index.js'),
    extensionTestsEnv: { PYML_TEST_RESULTS: resultsFile },
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes',
      '--user-data-dir', path.join(dir, 'user-data'), '--extensions-dir', path.join(dir, 'extensions')],
  }).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    return 1;
  });
  if (fs.existsSync(resultsFile)) {
    const r = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
    info(`${r.passes} passed, ${r.failures} failed`);
  }
  process.exitCode = exitCode === 0 ? 0 : 1;
}

main().catch(reportFatal);
