// What the code-server UI tests share: a fresh profile with the packaged .vsix installed, code-server
// on a workspace, Debian's Chromium on it, and the command palette.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { launchChromium } from '../../../scripts/lib/browser.mjs';
import { installVsix, makeProfile, startCodeServer } from '../../../scripts/lib/codeserver.mjs';
import { baseImageTag, cacheDir, resultsDir, vsixPath } from '../../../scripts/lib/paths.mjs';
import { freshWorkspace } from '../../vscode/runner/suite.mjs';

export const shots = path.join(resultsDir, 'ui');
export const WIDGET = '.quick-input-widget';
export const ROW = `${WIDGET} .quick-input-list .monaco-list-row`;

/**
 * @typedef {object} Workbench
 * @property {import('../../../scripts/lib/codeserver.mjs').CodeServer} server
 * @property {import('playwright-core').BrowserContext} browser
 * @property {import('playwright-core').Page} page
 * @property {string} workspace
 * @property {string} profileDir
 */

/**
 * A fresh profile under .cache/<name> with the packaged extension, a workspace copied from `fixture`
 * (then changed by `prepare`), code-server on it and Chromium showing the workbench.
 * @param {string} name
 * @param {string} fixture
 * @param {(workspace: string) => void | Promise<void>} [prepare]
 * @param {{ settings?: Record<string, unknown>, workspaceTrust?: boolean }} [opts]  user settings over the test
 *   profile's defaults; `workspaceTrust` keeps workspace trust on (code-server without --disable-workspace-trust)
 * @returns {Promise<Workbench>}
 */
export async function openWorkbench(name, fixture, prepare, opts = {}) {
  const vsix = process.env.PYML_VSIX || vsixPath;
  assert.ok(fs.existsSync(vsix), `${vsix} is missing: run \`npm run package\``);
  const profile = makeProfile(path.join(cacheDir, name), { fresh: true, ...(opts.settings ? { settings: opts.settings } : {}) });
  await installVsix(profile, vsix);
  const workspace = freshWorkspace(fixture, path.join(profile.dir, 'workspace'));
  await prepare?.(workspace);
  const server = await startCodeServer(profile, opts.workspaceTrust ? { workspaceTrust: true } : {});
  const browser = await launchChromium(path.join(profile.dir, 'chromium'));
  const page = browser.pages()[0] ?? await browser.newPage();
  await page.goto(`${server.origin}/?folder=${encodeURIComponent(workspace)}`, { waitUntil: 'domcontentloaded', timeout: 120_000 });
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 120_000 });
  fs.mkdirSync(shots, { recursive: true });
  return { server, browser, page, workspace, profileDir: profile.dir };
}

/** @param {Workbench | undefined} wb */
export async function closeWorkbench(wb) {
  await wb?.browser.close().catch(() => undefined);
  await wb?.server.stop();
}

/**
 * Opens the quick input (F1), types `typed` and waits for a row holding `rowText`; re-opens it until
 * the row shows, because extensions register their commands, and the file index fills in, a few
 * seconds after the workbench appears. Returns the row.
 * @param {import('playwright-core').Page} page @param {string} typed
 * @param {string | RegExp} rowText text the row holds (a RegExp: its label, e.g. an exact title)
 * @param {string} failure what to say when the row never shows
 */
async function quickInputRow(page, typed, rowText, failure) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const input = page.locator(`${WIDGET} input`);
    // The workbench may still be coming up (after a reload): then F1 opens nothing yet; try again.
    if (await input.waitFor({ state: 'visible', timeout: 10_000 }).then(() => true, () => false)) {
      await input.fill(typed);
      const row = (typeof rowText === 'string'
        ? page.locator(ROW, { hasText: rowText })
        : page.locator(ROW).filter({ has: page.locator('.label-name', { hasText: rowText }) })).first();
      if (await row.waitFor({ state: 'visible', timeout: 4_000 }).then(() => true, () => false)) return row;
    }
    if (Date.now() > deadline) throw new Error(failure);
  }
}

/** Runs a palette command by its title. @param {import('playwright-core').Page} page @param {string} title */
export async function runFromPalette(page, title) {
  await quickInputRow(page, `>${title}`, title, `"${title}" never appeared in the command palette`);
  await page.keyboard.press('Enter');
}

/**
 * Runs a palette command by its exact title (runFromPalette takes the first row that holds the title,
 * which may be "... Again" once that ran last).
 * @param {import('playwright-core').Page} page @param {string} title
 */
export async function runExactly(page, title) {
  const exact = new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const row = await quickInputRow(page, `>${title}`, exact, `"${title}" never appeared in the command palette`);
  await row.click();
}

/** Opens a workspace file through Quick Open. @param {import('playwright-core').Page} page @param {string} relative */
export async function quickOpen(page, relative) {
  const row = await quickInputRow(page, relative, path.dirname(relative), `Quick Open never offered ${relative}`);
  await row.click();
}

/**
 * Puts the active editor's cursor on a line through the palette's ":" mode, as Ctrl+G does, and waits
 * until the editor's gutter marks that line as the active one; tries again when the line never got there
 * (under load, keys typed before the quick input shows land in the editor instead).
 * @param {import('playwright-core').Page} page @param {number} line
 */
export async function goToLine(page, line) {
  const active = page.locator('.editor-instance .line-numbers.active-line-number', { hasText: new RegExp(`^${line}$`) }).first();
  const deadline = Date.now() + 60_000;
  for (;;) {
    await quickInputRow(page, `:${line}`, String(line), `Go to Line never offered line ${line}`);
    await page.keyboard.press('Enter');
    if (await active.waitFor({ timeout: 10_000 }).then(() => true, () => false)) return;
    if (Date.now() > deadline) throw new Error(`the cursor never reached line ${line}`);
  }
}

/** Whether Docker answers and has the test base image. */
export function dockerReady() {
  const r = spawnSync('docker', ['image', 'inspect', baseImageTag], { encoding: 'utf8', timeout: 20_000 });
  return r.status === 0;
}

/** Fails, saying how to get it, unless Docker answers and has the test base image (npm test provisions both). */
export function requireDocker() {
  assert.ok(dockerReady(), `Docker must answer and have ${baseImageTag}: run \`npm run setup -- --only docker,image\``);
}

/**
 * Removes every container of a model name, found by the label PyML puts on them.
 * @param {string} modelName
 */
export function removeModelContainers(modelName) {
  spawnSync('sh', ['-c', `docker rm -f $(docker ps -aq --filter label=dev.pyml.name=${modelName}) 2>/dev/null`], { timeout: 60_000 });
}

/**
 * Removes the images built for a model (every tag of pyml/NAME), for tests whose model name is unique to a
 * run: newest first, so a debug image goes before the model image it was built on.
 * @param {string} modelName
 */
export function removeModelImages(modelName) {
  spawnSync('sh', ['-c', `docker images -q pyml/${modelName} | awk '!seen[$0]++' | xargs -r docker rmi -f >/dev/null 2>&1`], { timeout: 60_000 });
}

/**
 * Puts the active editor's cursor on a line and column through the palette's ":" mode (`:line:column`,
 * as Ctrl+G takes it) and waits until the gutter marks that line as the active one.
 * @param {import('playwright-core').Page} page @param {number} line @param {number} column
 */
export async function goToPosition(page, line, column) {
  const active = page.locator('.editor-instance .line-numbers.active-line-number', { hasText: new RegExp(`^${line}$`) }).first();
  const deadline = Date.now() + 60_000;
  for (;;) {
    await quickInputRow(page, `:${line}:${column}`, String(line), `Go to Line never offered line ${line}`);
    await page.keyboard.press('Enter');
    if (await active.waitFor({ timeout: 10_000 }).then(() => true, () => false)) return;
    if (Date.now() > deadline) throw new Error(`the cursor never reached line ${line}`);
  }
}

/**
 * Shows the Problems panel (Ctrl+Shift+M toggles it, so only when it is not shown) and returns its rows.
 * @param {import('playwright-core').Page} page
 */
export async function showProblems(page) {
  const panel = page.locator('.markers-panel');
  if (!(await panel.isVisible())) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Shift+M');
    await panel.waitFor({ state: 'visible', timeout: 30_000 });
  }
  return page.locator('.markers-panel .monaco-list-row');
}
