// UI test: PyML: Run Batch Prediction on a local Dask cluster, driven through the palette in
// code-server (packaged .vsix) in Debian's Chromium, with the real Docker engine: where = a local
// cluster, the input = a glob of CSV files, no key or partition columns, the dataset folder typed in
// the file dialog; the progress notification shows partitions done / total, rows/s and the workers
// alive (screenshot test-results/ui/cluster-progress.png), and the dataset appears with _SUCCESS.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'mocha';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../scripts/lib/paths.mjs';
import { closeWorkbench, openWorkbench, quickOpen, requireDocker, ROW, runFromPalette, shots, WIDGET } from './lib/workbench.mjs';

const FIXTURE = path.join(repoRoot, 'test', 'fixtures', 'panel', 'panel-df');
const MODEL = 'cluster-ui-df';
const FILES = 8;
const ROWS = 40_000;

/** Picks the quick-pick row holding `text` (typed as a filter). @param {import('playwright-core').Page} page @param {string} text */
async function pick(page, text) {
  const input = page.locator(`${WIDGET} input`);
  await input.waitFor({ state: 'visible', timeout: 60_000 });
  await input.fill(text);
  await page.locator(ROW, { hasText: text }).first().waitFor({ state: 'visible', timeout: 20_000 });
  await page.keyboard.press('Enter');
}

/** Answers an input box. @param {import('playwright-core').Page} page @param {string} title @param {string} value */
async function answer(page, title, value) {
  await page.locator(WIDGET, { hasText: title }).waitFor({ state: 'visible', timeout: 30_000 });
  await page.locator(`${WIDGET} input`).fill(value);
  await page.keyboard.press('Enter');
  await page.locator(WIDGET, { hasText: title }).waitFor({ state: 'hidden', timeout: 30_000 });
}

/** Answers code-server's simple file dialog with an absolute path. @param {import('playwright-core').Page} page @param {string} file */
async function chooseFile(page, file) {
  const selector = `${WIDGET} input`;
  const input = page.locator(selector);
  await input.waitFor({ state: 'visible', timeout: 20_000 });
  await page.waitForFunction((sel) => (/** @type {HTMLInputElement | null} */ (document.querySelector(sel))?.value ?? '').startsWith('/'), selector, { timeout: 20_000 });
  const deadline = Date.now() + 20_000;
  for (;;) {
    await input.fill(file);
    const held = await page.waitForFunction(([sel, want]) => /** @type {HTMLInputElement | null} */ (document.querySelector(sel ?? ''))?.value === want, [selector, file], { timeout: 2_000 })
      .then(() => true, () => false);
    if (held) break;
    if (Date.now() > deadline) throw new Error(`the file dialog never kept the path ${file}`);
  }
  const closeBy = Date.now() + 20_000;
  for (;;) {
    await page.keyboard.press('Enter');
    const closed = await input.waitFor({ state: 'hidden', timeout: 4_000 }).then(() => true, () => false);
    if (closed) break;
    if (Date.now() > closeBy) throw new Error(`the file dialog did not accept ${file}`);
    if ((await input.inputValue().catch(() => '')) !== file) await input.fill(file);
  }
}

function removeClusters() {
  const ids = spawnSync('docker', ['ps', '-aq', '--filter', 'label=dev.pyml.cluster'], { encoding: 'utf8', timeout: 30_000 }).stdout.trim().split('\n').filter(Boolean);
  const names = ids.length ? spawnSync('docker', ['inspect', '--format', '{{.Id}} {{index .Config.Labels "dev.pyml.cluster"}}', ...ids], { encoding: 'utf8' }).stdout : '';
  for (const line of names.split('\n')) {
    const [id, cluster] = line.split(' ');
    if (id && cluster?.startsWith('pyml-cluster-')) spawnSync('docker', ['rm', '-f', id], { timeout: 60_000 });
  }
}

describe('Run Batch Prediction on a local Dask cluster (packaged extension in code-server, real Docker)', function () {
  this.timeout(15 * 60_000);
  /** @type {import('./lib/workbench.mjs').Workbench | undefined} */
  let wb;

  before(async function () {
    this.timeout(4 * 60_000);
    requireDocker();
    wb = await openWorkbench('ui-cluster', FIXTURE, (workspace) => {
      const manifest = path.join(workspace, 'pyml.yaml');
      fs.writeFileSync(manifest, fs.readFileSync(manifest, 'utf8').replace(/^name: .*$/m, `name: ${MODEL}`));
      const settings = path.join(workspace, '.vscode', 'settings.json');
      const current = JSON.parse(fs.readFileSync(settings, 'utf8'));
      fs.writeFileSync(settings, `${JSON.stringify({ ...current, 'pyml.cluster.workers': 2, 'pyml.batch.rowsPerBatch': 2000 }, null, 2)}\n`);
      fs.mkdirSync(path.join(workspace, 'rows'));
      for (let f = 0; f < FILES; f++) {
        const lines = ['x,n,label,flag'];
        for (let i = 0; i < ROWS; i++) lines.push(`${(f * ROWS + i) / 8},${i},row ${i},${i % 2 === 0}`);
        fs.writeFileSync(path.join(workspace, 'rows', `rows-${f}.csv`), `${lines.join('\n')}\n`);
      }
    });
  });

  after(async function () {
    this.timeout(2 * 60_000);
    await closeWorkbench(wb);
    removeClusters();
    const images = spawnSync('docker', ['images', '-q', '--filter', `label=dev.pyml.name=${MODEL}`], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    if (images.length) spawnSync('docker', ['rmi', '-f', ...images], { timeout: 60_000 });
  });

  it('asks where, runs on 2 workers with partitions, rows/s and workers alive in the notification, and writes the dataset', async function () {
    const { page, workspace } = /** @type {import('./lib/workbench.mjs').Workbench} */ (wb);
    await quickOpen(page, 'model.py');
    await runFromPalette(page, 'PyML: Run Batch Prediction');
    await pick(page, 'A local Dask cluster');
    await pick(page, 'A glob pattern');
    await answer(page, 'a glob of CSV', 'rows/*.csv');
    await answer(page, 'keys', '');
    await answer(page, 'partition columns', '');
    const output = path.join(workspace, 'predictions');
    await chooseFile(page, output);

    // Building the image first (a new model), then the cluster: the notification then counts partitions.
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'local Dask cluster' });
    await toast.filter({ hasText: /[1-8]\/8 partitions .* rows\/s · 2 workers alive/ }).first().waitFor({ state: 'visible', timeout: 10 * 60_000 });
    await page.screenshot({ path: path.join(shots, 'cluster-progress.png') });
    const text = await toast.first().innerText();
    assert.match(text, /\d+\/8 partitions/);
    assert.match(text, /2 workers alive/);

    // The dataset folder: the one typed, or (when code-server's dialog kept its proposal) the default next to the rows.
    const found = () => [output, path.join(workspace, 'rows.cluster-ui-df-predictions')].find((d) => fs.existsSync(path.join(d, '_SUCCESS')));
    const deadline = Date.now() + 5 * 60_000;
    while (!found()) {
      if (Date.now() > deadline) throw new Error(`the dataset folder never appeared; the workspace holds ${fs.readdirSync(workspace).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const success = JSON.parse(fs.readFileSync(path.join(found() ?? output, '_SUCCESS'), 'utf8'));
    assert.equal(success.rows, FILES * ROWS);
    assert.equal(success.partitions.length, FILES);
    await page.locator('.notifications-toasts', { hasText: /wrote 320,000 rows in 8 partitions/ }).waitFor({ state: 'visible', timeout: 60_000 });
    await page.screenshot({ path: path.join(shots, 'cluster-done.png') });
  });
});
