// UI test (issue 16, defect 8c): PyML: Show Model Container Logs shows the container's own log stream
// in an output channel of its own ("PyML: <model> container"), from the container's start: after a
// window reload, the start-up lines printed before it are there, and lines printed later follow.
// code-server (packaged .vsix) in Debian's Chromium, a real model container. Screenshots: test-results/ui/logs-*.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'mocha';
import { repoRoot } from '../../scripts/lib/paths.mjs';
import { closeWorkbench, openWorkbench, removeModelContainers, removeModelImages, requireDocker, ROW, runFromPalette, shots } from './lib/workbench.mjs';

const FIXTURE = path.join(repoRoot, 'test', 'fixtures', 'batch', 'scorer');
// A name of this test's own (images and containers on the shared engine are named after it).
const MODEL = 'batchux-logs';

/** The text of the Output view as shown. @param {import('playwright-core').Page} page */
async function outputText(page) {
  // Monaco renders spaces as no-break spaces.
  const text = await page.locator('.part.panel .monaco-editor .view-lines').first().innerText({ timeout: 2_000 }).catch(() => '');
  return text.replace(/\u00a0/g, ' ');
}

describe('container logs (packaged extension in code-server, real Docker)', function () {
  this.timeout(15 * 60_000);
  /** @type {import('./lib/workbench.mjs').Workbench | undefined} */
  let wb;
  /** @type {import('playwright-core').Page} */
  let page;

  before(async function () {
    requireDocker();
    this.timeout(4 * 60_000);
    wb = await openWorkbench('ui-batchux-logs', FIXTURE, (ws) => {
      const manifest = path.join(ws, 'pyml.yaml');
      fs.writeFileSync(manifest, fs.readFileSync(manifest, 'utf8').replace(/^name: .*$/m, `name: ${MODEL}`));
    });
    page = wb.page;
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await page?.screenshot({ path: path.join(shots, 'logs-failed.png') });
  });

  after(async function () {
    this.timeout(2 * 60_000);
    await closeWorkbench(wb);
    removeModelContainers(MODEL);
    removeModelImages(MODEL);
  });

  it('shows the container\'s own log from its start, after a window reload', async function () {
    await runFromPalette(page, 'PyML: Run Model');
    const picked = await page.locator(ROW).first().waitFor({ state: 'visible', timeout: 5_000 }).then(() => true, () => false);
    if (picked) await page.keyboard.press('Enter');
    await page.locator('.notifications-toasts', { hasText: `${MODEL} is ready` }).waitFor({ timeout: 8 * 60_000 });

    // A window reload: the extension's own channel starts empty; the container's log does not.
    await runFromPalette(page, 'Developer: Reload Window');
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 120_000 });
    await runFromPalette(page, 'PyML: Show Model Container Logs');
    const deadline = Date.now() + 90_000;
    let text = '';
    while (!/pyml: serving batchux-logs/.test(text)) {
      if (Date.now() > deadline) throw new Error(`the Output view never showed the start-up line; it shows:\n${text}`);
      await new Promise((r) => setTimeout(r, 250));
      text = await outputText(page);
    }
    assert.match(text, /docker logs --follow/, 'the header names the stream');
    assert.doesNotMatch(text, /\[batchux-logs\]/, 'not the extension\'s mixed channel (its lines are prefixed)');
    const channel = await page.locator('.part.panel .monaco-select-box').first().evaluate((el) => {
      const select = /** @type {HTMLSelectElement} */ (el);
      return select.options[select.selectedIndex]?.text ?? select.title ?? '';
    });
    assert.match(channel, /PyML: batchux-logs container/);
    await page.screenshot({ path: path.join(shots, 'logs-container.png') });

    await runFromPalette(page, 'PyML: Stop Model');
    const stopBy = Date.now() + 120_000;
    while (!/the container (stopped|was removed)/.test(await outputText(page))) {
      if (Date.now() > stopBy) throw new Error(`the channel never said the container ended:\n${await outputText(page)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    await page.screenshot({ path: path.join(shots, 'logs-stopped.png') });
  });
});
