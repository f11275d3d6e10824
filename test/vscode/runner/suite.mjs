// Runs an extension test suite (the `run()` contract of @vscode/test-electron) inside code-server:
// the web workbench takes extensionDevelopmentPath / extensionTestsPath in its `payload` URL parameter,
// Chromium (playwright-core) opens it, and the result comes back twice: through
// window.codeAutomationExit(code) and through a results file the suite writes ($PYML_TEST_RESULTS).
import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import { launchChromium } from '../../../scripts/lib/browser.mjs';
import { makeProfile, startCodeServer } from '../../../scripts/lib/codeserver.mjs';
import { formatDuration, info } from '../../../scripts/lib/log.mjs';
import { baseImageTag, cacheDir, repoRoot, resultsDir } from '../../../scripts/lib/paths.mjs';
import { waitFor } from '../../../scripts/lib/proc.mjs';

/** The fixture model folder the suites open as their workspace. */
export const defaultWorkspace = path.join(repoRoot, 'test', 'fixtures', 'identity-model');

/** Workbench start-up chatter forwarded with the extension host's output; not worth printing. */
const WORKBENCH_NOISE = /additional builtin extensions|Creating a socket|connection token|\[Service Worker\]|ChatSessionStore/;

/**
 * @typedef {object} SuiteOptions
 * @property {string} name                      names the profile (.cache/vscode-test/NAME) and outputs
 * @property {string} extensionTestsPath        absolute path of the compiled suite's index.js
 * @property {string} resultsFile               where the suite writes its JSON result
 * @property {string} [extensionDevelopmentPath] default: the repository
 * @property {string} [workspace]               folder copied into a fresh workspace; default: the fixture
 * @property {number} [timeoutMs]               for the whole suite; default 5 minutes
 * @property {Record<string, string>} [env]     extra environment for code-server (and so the extension host)
 * @property {boolean} [quiet]                  do not echo the extension host's log
 */

/**
 * @typedef {object} SuiteRun
 * @property {number} exitCode     what the workbench reported (or 1 when nothing came back)
 * @property {unknown} results     the parsed results file, if the suite wrote one
 * @property {number} ms
 */

/**
 * Copies `source` into a fresh folder and points PyML at the test base image there.
 * @param {string} source
 * @param {string} target
 */
export function freshWorkspace(source, target) {
  fs.rmSync(target, { recursive: true, force: true });
  fs.cpSync(source, target, { recursive: true });
  fs.mkdirSync(path.join(target, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(target, '.vscode', 'settings.json'),
    `${JSON.stringify({ 'pyml.build.baseImage': baseImageTag }, null, 2)}\n`);
  return target;
}

/**
 * @param {SuiteOptions} opts
 * @returns {Promise<SuiteRun>}
 */
export async function runSuite(opts) {
  const started = Date.now();
  const extPath = opts.extensionDevelopmentPath ?? repoRoot;
  if (!fs.existsSync(opts.extensionTestsPath)) {
    throw new Error(`${opts.extensionTestsPath} does not exist: run \`npm run compile-tests\` first.`);
  }
  const profile = makeProfile(path.join(cacheDir, 'vscode-test', opts.name), { fresh: true });
  const workspace = freshWorkspace(opts.workspace ?? defaultWorkspace, path.join(profile.dir, 'workspace'));
  fs.rmSync(opts.resultsFile, { force: true });
  fs.mkdirSync(path.dirname(opts.resultsFile), { recursive: true });
  const server = await startCodeServer(profile, { env: { ...opts.env, PYML_TEST_RESULTS: opts.resultsFile } });
  /** @type {Awaited<ReturnType<typeof launchChromium>> | undefined} */
  let browser;
  const stopAll = async () => {
    await browser?.close().catch(() => undefined);
    await server.stop();
  };
  const onSignal = () => { void stopAll().finally(() => process.exit(130)); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    browser = await launchChromium(path.join(profile.dir, 'chromium'));
    /** @type {number | undefined} */
    let exitCode;
    await browser.exposeFunction('codeAutomationExit', (/** @type {number} */ code) => { exitCode = code; });
    await browser.exposeFunction('codeAutomationLog', (/** @type {string} */ _type, /** @type {unknown} */ args) => {
      if (opts.quiet) return;
      const text = Array.isArray(args) ? util.format(...args) : String(args);
      for (const line of text.split('\n')) if (line.trim() && !WORKBENCH_NOISE.test(line)) console.log(`  | ${line}`);
    });
    const remote = (/** @type {string} */ p) => `vscode-remote://127.0.0.1:${server.port}${p}`;
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', remote(extPath)],
      ['extensionTestsPath', remote(opts.extensionTestsPath)],
    ]);
    const url = `${server.origin}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`;
    const page = browser.pages()[0] ?? await browser.newPage();
    info(`code-server ${server.origin} (log ${path.relative(repoRoot, server.logFile)}), workspace ${path.relative(repoRoot, workspace)}`);
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 120_000 });
    const timeoutMs = opts.timeoutMs ?? 5 * 60_000;
    // Done when the workbench reports the exit code; the results file alone is enough if that never comes.
    let resultsSeenAt = 0;
    try {
      await waitFor(() => {
        if (exitCode !== undefined) return true;
        if (!fs.existsSync(opts.resultsFile)) return false;
        resultsSeenAt ||= Date.now();
        return Date.now() - resultsSeenAt > 10_000;
      }, { timeoutMs, intervalMs: 200, what: 'the extension test suite to finish' });
    } catch (err) {
      const shot = path.join(resultsDir, opts.name, 'timeout.png');
      fs.mkdirSync(path.dirname(shot), { recursive: true });
      await page.screenshot({ path: shot }).catch(() => undefined);
      throw new Error(`${err instanceof Error ? err.message : err} (screenshot: ${path.relative(repoRoot, shot)}, log: ${server.logFile})`);
    }
    /** @type {unknown} */
    let results;
    try { results = JSON.parse(fs.readFileSync(opts.resultsFile, 'utf8')); } catch { results = undefined; }
    return { exitCode: exitCode ?? 1, results, ms: Date.now() - started };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopAll();
    info(`suite ${opts.name} took ${formatDuration(Date.now() - started)}`);
  }
}
