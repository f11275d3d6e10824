// UI test: PyML: New Model walked through the command palette of code-server in Debian's Chromium,
// with the packaged .vsix installed: kind -> template (and Back) -> name (the derived class shows
// as you type) -> folder (the default) -> model.py opens. Screenshots go to test-results/ui/.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import fs from 'node:fs';
import path from 'node:path';
import { launchChromium } from '../../scripts/lib/browser.mjs';
import { installVsix, makeProfile, startCodeServer } from '../../scripts/lib/codeserver.mjs';
import { cacheDir, resultsDir, vsixPath } from '../../scripts/lib/paths.mjs';
import { defaultWorkspace, freshWorkspace } from '../vscode/runner/suite.mjs';

const screenshotDir = path.join(resultsDir, 'ui');
const WIDGET = '.quick-input-widget';
const ROW = `${WIDGET} .quick-input-list .monaco-list-row`;

/**
 * Runs a palette command by its title; re-opens the palette until the row shows (extensions register
 * their commands a few seconds after the workbench appears).
 * @param {import('playwright-core').Page} page
 * @param {string} title
 */
async function runFromPalette(page, title) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const input = page.locator(`${WIDGET} input`);
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${title}`);
    const row = page.locator(ROW, { hasText: title }).first();
    const shown = await row.waitFor({ state: 'visible', timeout: 3_000 }).then(() => true, () => false);
    if (shown) {
      await page.keyboard.press('Enter');
      return;
    }
    if (Date.now() > deadline) throw new Error(`"${title}" never appeared in the command palette`);
  }
}

/**
 * Waits for the wizard's step `n` of 4, read from the quick input's title bar.
 * @param {import('playwright-core').Page} page
 * @param {number} n
 * @param {number} [timeout]
 */
async function waitForStep(page, n, timeout = 15_000) {
  const want = `${n}/4`;
  await page.waitForFunction(([sel, step]) => {
    const bar = document.querySelector(`${sel} .quick-input-titlebar`)?.textContent ?? '';
    return bar.includes('PyML: New Model') && bar.includes(step);
  }, [WIDGET, want], { timeout }).catch(async (err) => {
    const bar = await page.locator(`${WIDGET} .quick-input-titlebar`).first().innerHTML().catch(() => 'no title bar');
    await page.screenshot({ path: path.join(screenshotDir, 'new-model-failure.png') });
    throw new Error(`step ${want} of New Model did not show (title bar: ${bar}): ${err.message}`);
  });
}

/**
 * Picks the row of the current QuickPick whose text contains `text`.
 * @param {import('playwright-core').Page} page
 * @param {string} text
 */
async function pickRow(page, text) {
  const row = page.locator(ROW, { hasText: text }).first();
  await row.waitFor({ state: 'visible', timeout: 10_000 });
  await row.click();
}

describe('New Model through the command palette (packaged extension in code-server)', function () {
  this.timeout(5 * 60_000);
  /** @type {import('../../scripts/lib/codeserver.mjs').CodeServer | undefined} */
  let server;
  /** @type {import('playwright-core').BrowserContext | undefined} */
  let browser;
  /** @type {import('playwright-core').Page} */
  let page;
  /** @type {string} */
  let workspace;

  before(async function () {
    const vsix = process.env.PYML_VSIX || vsixPath;
    assert.ok(fs.existsSync(vsix), `${vsix} is missing: run \`npm run package\``);
    const profile = makeProfile(path.join(cacheDir, 'ui-new-model'), { fresh: true });
    await installVsix(profile, vsix);
    workspace = freshWorkspace(defaultWorkspace, path.join(profile.dir, 'workspace'));
    server = await startCodeServer(profile);
    browser = await launchChromium(path.join(profile.dir, 'chromium'));
    page = browser.pages()[0] ?? await browser.newPage();
    await page.setViewportSize({ width: 1400, height: 900 });
    await page.goto(`${server.origin}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 90_000 });
    fs.mkdirSync(screenshotDir, { recursive: true });
  });

  after(async function () {
    await browser?.close().catch(() => undefined);
    await server?.stop();
  });

  it('kind, template (with Back), name, folder: writes the model and shows model.py', async function () {
    await runFromPalette(page, 'PyML: New Model');
    // The first command activates the extension (its host may be slow to start on a busy machine).
    await waitForStep(page, 1, 90_000);
    await pickRow(page, 'DataFrame model');
    await waitForStep(page, 2);
    // Back returns to the kind, which keeps the answer; then forward again.
    await page.locator(`${WIDGET} .codicon-quick-input-back`).first().click();
    await waitForStep(page, 1);
    await pickRow(page, 'DataFrame model');
    await waitForStep(page, 2);
    await page.screenshot({ path: path.join(screenshotDir, 'new-model-template.png') });
    await pickRow(page, 'scikit-learn');

    await waitForStep(page, 3);
    const input = page.locator(`${WIDGET} input`);
    await input.fill('9 lives');
    const message = page.locator(`${WIDGET} .quick-input-message`);
    await assert.doesNotReject(message.filter({ hasText: 'must start with a letter' }).waitFor({ timeout: 10_000 }));
    await input.fill('iris demo');
    await message.filter({ hasText: 'Python class IrisDemoModel' }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(screenshotDir, 'new-model-name.png') });
    await page.keyboard.press('Enter');

    await waitForStep(page, 4);
    const folder = path.join(workspace, 'iris-demo');
    await page.waitForFunction(([sel, want]) => document.querySelector(`${sel} input`)?.value === want, [WIDGET, folder], { timeout: 10_000 });
    await page.keyboard.press('Enter');

    // model.py opens in the editor, with the derived class.
    const tab = page.locator('.tabs-container .tab.active', { hasText: 'model.py' });
    await tab.waitFor({ state: 'visible', timeout: 30_000 });
    await page.locator('.editor-instance .view-lines', { hasText: 'class IrisDemoModel(DataFrameModel):' }).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(screenshotDir, 'new-model.png') });

    for (const f of ['pyml.yaml', 'model.py', 'train.py', 'requirements.txt', 'packages.txt', 'README.md', 'data/classifier.json', 'samples/example.json']) {
      assert.ok(fs.existsSync(path.join(folder, f)), `${f} was not written`);
    }
    assert.match(fs.readFileSync(path.join(folder, 'pyml.yaml'), 'utf8'), /^model: model:IrisDemoModel$/m);
  });
});
