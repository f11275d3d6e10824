// UI test: the language server's diagnostics as the user sees them, with the packaged .vsix installed
// in code-server and driven in Debian's Chromium: a broken model.py opened from Quick Open gets a red
// squiggle under its model class, and the Problems panel lists the message with its PyML code.
// Screenshot: test-results/ui/problems.png.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../scripts/lib/paths.mjs';
import { defaultWorkspace } from '../vscode/runner/suite.mjs';
import { closeWorkbench, openWorkbench, quickOpen, shots as screenshotDir } from './lib/workbench.mjs';
const fixture = path.join(repoRoot, 'test', 'fixtures', 'broken-model');

describe('Problems panel: PyML diagnostics of a broken model (packaged extension in code-server)', function () {
  this.timeout(5 * 60_000);
  /** @type {import('./lib/workbench.mjs').Workbench | undefined} */
  let wb;
  /** @type {import('playwright-core').Page} */
  let page;

  before(async function () {
    wb = await openWorkbench('ui-problems', defaultWorkspace, (workspace) => {
      fs.cpSync(fixture, path.join(workspace, 'broken-model'), { recursive: true });
    });
    page = wb.page;
  });

  after(async function () {
    await closeWorkbench(wb);
  });

  it('shows a squiggle under the model class and the message in the Problems panel', async function () {
    fs.mkdirSync(screenshotDir, { recursive: true });
    const shot = path.join(screenshotDir, 'problems.png');
    try {
      await quickOpen(page, 'broken-model/model.py');
      await page.locator('.tab.active', { hasText: 'model.py' }).waitFor({ state: 'visible', timeout: 30_000 });
      // The language server starts after activation, then publishes: the squiggle appears by itself.
      await page.locator('.monaco-editor .squiggly-error').first().waitFor({ state: 'visible', timeout: 120_000 });

      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+Shift+M');
      const row = page.locator('.markers-panel .monaco-list-row', { hasText: 'no predict method' }).first();
      await row.waitFor({ state: 'visible', timeout: 30_000 });
      const text = (await row.textContent()) ?? '';
      assert.match(text, /BrokenModel has no predict method/);
      assert.match(text, /PYML020/);
      const imports = page.locator('.markers-panel .monaco-list-row', { hasText: 'PYML200' }).first();
      await imports.waitFor({ state: 'visible', timeout: 10_000 });
      await page.screenshot({ path: shot });
    } catch (err) {
      await page.screenshot({ path: shot.replace('.png', '-failure.png') }).catch(() => undefined);
      throw err;
    }
  });
});
