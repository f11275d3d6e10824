// UI test: PyML: New Model walked through the command palette of code-server in Debian's Chromium,
// with the packaged .vsix installed: kind -> template (and Back) -> name (the derived class shows
// as you type) -> folder (the default) -> model.py opens. Screenshots go to test-results/ui/.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import fs from 'node:fs';
import path from 'node:path';
import { defaultWorkspace } from '../vscode/runner/suite.mjs';
import { closeWorkbench, openWorkbench, ROW, runFromPalette, shots as screenshotDir, WIDGET } from './lib/workbench.mjs';

/**
 * Waits for the wizard's step `n` of 4, read from the quick input's title bar.
 * @param {import('playwright-core').Page} page
 * @param {number} n
 * @param {number} [timeout]
 */
async function waitForStep(page, n, timeout = 15_000) {
  const want = `${n}/4`;
  await page.waitForFunction(({ sel, step }) => {
    const bar = document.querySelector(`${sel} .quick-input-titlebar`)?.textContent ?? '';
    return bar.includes('PyML: New Model') && bar.includes(step);
  }, { sel: WIDGET, step: want }, { timeout }).catch(async (err) => {
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
  /** @type {import('./lib/workbench.mjs').Workbench | undefined} */
  let wb;
  /** @type {import('playwright-core').Page} */
  let page;
  /** @type {string} */
  let workspace;

  before(async function () {
    wb = await openWorkbench('ui-new-model', defaultWorkspace);
    ({ page, workspace } = wb);
  });

  after(async function () {
    await closeWorkbench(wb);
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
    await page.waitForFunction(([sel, want]) => /** @type {HTMLInputElement | null} */ (document.querySelector(`${sel} input`))?.value === want, [WIDGET, folder], { timeout: 10_000 });
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
