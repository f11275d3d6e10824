// UI test: what a first-time user sees after `npm start` (issue 16, defect 7). The same example workspace
// (examples/ with start's settings) and start's profile setting, the packaged extension in code-server,
// Chromium: the getting-started walkthrough opens by itself, the Explorer shows the examples, and the Git
// extension does not offer to open the clone around the workspace.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import path from 'node:path';
import { prepareExampleWorkspace } from '../../scripts/lib/exampleWorkspace.mjs';
import { repoRoot } from '../../scripts/lib/paths.mjs';
import { closeWorkbench, openWorkbench, shots } from './lib/workbench.mjs';

describe('first run on the npm start workspace (packaged extension in code-server)', function () {
  this.timeout(6 * 60_000);
  /** @type {import('./lib/workbench.mjs').Workbench | undefined} */
  let wb;

  before(async function () {
    wb = await openWorkbench('ui-first-run', path.join(repoRoot, 'examples'), (ws) => prepareExampleWorkspace(ws), {
      settings: { 'pyml.welcome.openWalkthrough': true },
    });
  });

  after(async function () {
    await closeWorkbench(wb);
  });

  it('opens the getting-started walkthrough and the examples, with no prompt', async function () {
    const page = /** @type {import('./lib/workbench.mjs').Workbench} */ (wb).page;
    const walkthrough = page.locator('.gettingStartedContainer', { hasText: 'Get started with PyML' });
    await walkthrough.first().waitFor({ state: 'visible', timeout: 120_000 });
    await page.locator('.gettingStartedContainer', { hasText: 'New Model' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    const explorer = page.locator('.explorer-folders-view');
    for (const name of ['churn', 'digits', 'tables', 'queries']) {
      await explorer.locator('.monaco-list-row', { hasText: name }).first().waitFor({ state: 'visible', timeout: 60_000 });
    }
    await page.screenshot({ path: path.join(shots, 'first-run.png') });
    const toasts = await page.locator('.notifications-toasts .notification-list-item-message').allTextContents();
    assert.deepStrictEqual(toasts.filter((t) => /parent|repository|error|failed/i.test(t)), [], `notifications: ${toasts.join(' | ')}`);
  });
});
