// UI test: the packaged .vsix installed into code-server, driven in Debian's Chromium by playwright-core.
// The command palette must list every PyML command of package.json; a screenshot is kept.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../scripts/lib/paths.mjs';
import { defaultWorkspace } from '../vscode/runner/suite.mjs';
import { closeWorkbench, openWorkbench, ROW, shots as screenshotDir } from './lib/workbench.mjs';

const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
/** Commands hidden from the palette by `menus.commandPalette` with `when: false`. */
const hidden = new Set((manifest.contributes?.menus?.commandPalette ?? [])
  .filter((/** @type {{ when?: string }} */ m) => m.when === 'false')
  .map((/** @type {{ command: string }} */ m) => m.command));
/** "PyML: New Model", ... as the palette shows them. */
const expectedTitles = (manifest.contributes?.commands ?? [])
  .filter((/** @type {{ command: string }} */ c) => !hidden.has(c.command))
  .map((/** @type {{ category?: string, title: string }} */ c) => (c.category ? `${c.category}: ${c.title}` : c.title));


/**
 * Opens the palette with `>text` typed and returns the labels of the rows shown.
 * @param {import('playwright-core').Page} page
 * @param {string} text
 */
async function paletteRows(page, text) {
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`>${text}`);
  // The list is filtered on each keystroke; wait for it to settle on rows that match.
  await page.waitForFunction(({ sel, want }) => {
    const rows = [...document.querySelectorAll(sel)];
    return rows.length > 0 && rows.some((r) => (r.getAttribute('aria-label') ?? r.textContent ?? '').toLowerCase().includes(want));
  }, { sel: ROW, want: text.toLowerCase() }, { timeout: 3_000 }).catch(() => undefined);
  return page.locator(`${ROW} .label-name`).allTextContents();
}

/**
 * Re-opens the palette until `done(rows)` holds: extensions register their commands a few
 * seconds after the workbench appears, and an open palette does not refresh its list.
 * @param {import('playwright-core').Page} page
 * @param {string} text
 * @param {(rows: string[]) => boolean} done
 * @param {number} timeoutMs
 */
async function waitForRows(page, text, done, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  // A slow workbench may not open the palette in time: that attempt counts as no rows, and we retry.
  const attempt = () => paletteRows(page, text).catch(() => /** @type {string[]} */ ([]));
  let rows = await attempt();
  while (!done(rows) && Date.now() < deadline) rows = await attempt();
  return rows;
}

describe('command palette (packaged extension in code-server)', function () {
  this.timeout(6 * 60_000);
  /** @type {import('./lib/workbench.mjs').Workbench | undefined} */
  let wb;
  /** @type {import('playwright-core').Page} */
  let page;

  before(async function () {
    wb = await openWorkbench('ui-test', defaultWorkspace);
    page = wb.page;
  });

  after(async function () {
    await closeWorkbench(wb);
  });

  it('lists every command title from package.json under ">PyML"', async function () {
    assert.ok(expectedTitles.length > 0, 'package.json declares no palette commands');
    fs.mkdirSync(screenshotDir, { recursive: true });
    const firstTitle = expectedTitles[0] ?? '';
    const rows = await waitForRows(page, 'PyML', (r) => r.includes(firstTitle), 120_000);
    assert.ok(rows.includes(firstTitle), `"${firstTitle}" never appeared in the palette; rows: ${rows.join(' | ')}`);
    // The list is virtualised: a title not rendered in the ">PyML" view is looked up on its own.
    const missing = [];
    for (const title of expectedTitles.filter((/** @type {string} */ t) => !rows.includes(t))) {
      const found = await waitForRows(page, title, (r) => r.includes(title), 10_000);
      if (!found.includes(title)) missing.push(title);
    }
    await paletteRows(page, 'PyML');
    await page.screenshot({ path: path.join(screenshotDir, 'palette.png') });
    assert.deepStrictEqual(missing, [], `missing from the palette: ${missing.join(', ')}`);
  });
});
