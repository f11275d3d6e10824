// UI test: the PyML "Models" view in code-server (packaged .vsix) driven in Debian's Chromium, with
// the real Docker engine. A model is run from the palette and shows as running in the view; after
// "Developer: Reload Window" (a new extension host) the view finds it again from its labels; when the
// container is killed behind the extension's back, the view shows it exited. Screenshots go to
// test-results/ui/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'mocha';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../scripts/lib/paths.mjs';
import { closeWorkbench, openWorkbench, removeModelContainers, requireDocker, runFromPalette, shots } from './lib/workbench.mjs';

const FIXTURE = path.join(repoRoot, 'test', 'fixtures', 'panel', 'panel-df');
const MODEL = 'tree-df';

/** The rows of the PyML Models view, as the user reads them. @param {import('playwright-core').Page} page */
function modelRows(page) {
  return page.locator('.part.sidebar .monaco-list-row');
}

/**
 * Shows the Models view and waits for a row holding every one of `texts`.
 * @param {import('playwright-core').Page} page @param {string[]} texts @param {number} timeout
 */
async function waitForRow(page, texts, timeout) {
  await runFromPalette(page, 'PyML: Focus on Models View');
  let rows = modelRows(page);
  for (const text of texts) rows = rows.filter({ hasText: text });
  try {
    await rows.first().waitFor({ state: 'visible', timeout });
  } catch (err) {
    await page.screenshot({ path: path.join(shots, 'tree-failure.png') });
    const shown = await modelRows(page).allInnerTexts();
    throw new Error(`no row of the Models view holds ${texts.join(' + ')}; rows: ${shown.map((t) => t.replace(/\s+/g, ' ')).join(' | ')}`, { cause: err });
  }
  return rows.first();
}

describe('PyML Models view (packaged extension in code-server, real Docker)', function () {
  this.timeout(12 * 60_000);
  /** @type {import('./lib/workbench.mjs').Workbench | undefined} */
  let wb;

  before(async function () {
    this.timeout(4 * 60_000);
    requireDocker();
    removeModelContainers(MODEL);
    wb = await openWorkbench('ui-tree', FIXTURE, (workspace) => {
      const manifest = path.join(workspace, 'pyml.yaml');
      fs.writeFileSync(manifest, fs.readFileSync(manifest, 'utf8').replace(/^name: .*$/m, `name: ${MODEL}`));
    });
  });

  after(async function () {
    this.timeout(2 * 60_000);
    await closeWorkbench(wb);
    removeModelContainers(MODEL);
  });

  it('lists the model running after Run Model, and again after a window reload', async function () {
    const page = /** @type {import('./lib/workbench.mjs').Workbench} */ (wb).page;
    await runFromPalette(page, 'PyML: Run Model');
    // The first run builds the image from the base image, then waits for ServerReady/ModelReady.
    const started = await waitForRow(page, ['ready'], 8 * 60_000);
    // A running model's row opens by itself on its container.
    await started.and(page.locator('[aria-expanded="true"]')).waitFor({ timeout: 30_000 });
    await waitForRow(page, ['running'], 30_000);
    await page.screenshot({ path: path.join(shots, 'tree-running.png') });

    const reloaded = page.waitForEvent('load', { timeout: 120_000 });
    await runFromPalette(page, 'Developer: Reload Window');
    await reloaded;
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 120_000 });
    const model = await waitForRow(page, ['ready'], 60_000);
    await model.and(page.locator('[aria-expanded="true"]')).waitFor({ timeout: 30_000 });
    await waitForRow(page, ['running'], 30_000);
    assert.match(await model.innerText(), /workspace/, 'the model folder row names the folder');
    await page.screenshot({ path: path.join(shots, 'tree-after-reload.png') });
  });

  it('shows the container exited when it is killed behind the extension', async function () {
    const page = /** @type {import('./lib/workbench.mjs').Workbench} */ (wb).page;
    const ids = spawnSync('docker', ['ps', '-q', '--filter', `label=dev.pyml.name=${MODEL}`], { encoding: 'utf8', timeout: 30_000 }).stdout.trim().split('\n').filter(Boolean);
    assert.equal(ids.length, 1, `one running container of ${MODEL}`);
    const kill = spawnSync('docker', ['kill', ids[0] ?? ''], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(kill.status, 0, kill.stderr);
    await waitForRow(page, ['exited'], 60_000);
    await page.screenshot({ path: path.join(shots, 'tree-exited.png') });
  });
});
