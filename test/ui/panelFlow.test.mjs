// UI test of issue 16's panel defects, in Debian's Chromium: the panel's own page wired to the real
// PanelSession and real PyML runtime servers on Unix sockets (test/ui/lib/panelPage.mjs). Asserts what
// the user sees: (1) the model's own samples/example.json (New Model's format) loads and sends, and a
// red message clears once a later action works; (2) connecting loads the model's sample by itself;
// (3) a model that stopped answering says so in plain words with Run Model; (8) random values within
// the sample's ranges and labelled random, float32 at float32 precision, rows from 1, a .npy named
// after the input it is sent as, a tensor cell shown whole by its shape, notices clear of the
// History table. Screenshots go to test-results/ui/panel-flow-*.png.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { launchChromium } from '../../scripts/lib/browser.mjs';
import { repoRoot, resultsDir } from '../../scripts/lib/paths.mjs';
import { openPanelPage } from './lib/panelPage.mjs';

const require = createRequire(import.meta.url);
const out = (/** @type {string} */ p) => path.join(repoRoot, 'out', p);
const { liveServerUnavailable, startServer, PANEL_FIXTURES } = require(out('test/unit/predict/liveServer.js'));
const { requirePrerequisite } = require(out('test/prerequisite.js'));

const shots = path.join(resultsDir, 'ui');

/** @param {import('playwright-core').Page} page @param {string} address */
async function connect(page, address) {
  await page.locator('[data-testid="address"]').locator('input').fill(address);
  await page.locator('[data-testid="connect"]').click();
  await page.locator('[data-testid="connection"] strong').waitFor({ timeout: 30_000 });
}

/** Rendered rows of a virtual table once every cell is filled. @param {import('playwright-core').Page} page @param {string} id @param {number} n */
async function rowsOf(page, id, n) {
  await page.waitForFunction(([tid, count]) => {
    const rows = [...document.querySelectorAll(`[data-testid="${tid}"] .vt-row:not([hidden])`)];
    return rows.length === count && rows.every((r) => !(r.textContent ?? '').includes('…'));
  }, [id, n], { timeout: 30_000 });
  return page.evaluate((tid) => [...document.querySelectorAll(`[data-testid="${tid}"] .vt-row:not([hidden])`)].map((r) => [...r.children].map((c) => c.textContent ?? '')), id);
}

/** A float32 .npy file of `shape`. @param {string} file @param {number[]} shape @param {number[]} values */
function writeNpy(file, shape, values) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  while ((10 + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const head = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
  head.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(new Float32Array(values).buffer)]));
}

describe('panel flow (issue 16: samples, connecting, a stopped model, polish) in Chromium against real runtime servers', function () {
  this.timeout(5 * 60_000);
  /** @type {import('playwright-core').BrowserContext | undefined} */
  let browser;
  /** @type {any} */
  let dfServer;
  /** @type {any} */
  let tensorServer;
  let work = '';
  let dfFolder = '';
  let tensorFolder = '';

  before(async function () {
    requirePrerequisite(this, liveServerUnavailable());
    assert.ok(fs.existsSync(path.join(repoRoot, 'dist', 'webview.js')), 'dist/webview.js is missing: npm run build');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'panel-flow-ui-'));
    dfFolder = path.join(work, 'panel-df');
    tensorFolder = path.join(work, 'panel-tensor');
    fs.cpSync(path.join(PANEL_FIXTURES, 'panel-df'), dfFolder, { recursive: true });
    fs.cpSync(path.join(PANEL_FIXTURES, 'panel-tensor'), tensorFolder, { recursive: true });
    // The samples New Model writes: inputs by name, columns as lists, tensors as nested lists.
    fs.mkdirSync(path.join(dfFolder, 'samples'));
    fs.writeFileSync(path.join(dfFolder, 'samples', 'example.json'), JSON.stringify({
      description: 'Two rows, as New Model writes a sample',
      inputs: { x: [4.3, 7.9], n: [1, 2], label: ['basic', 'premium'], flag: [true, false] },
      expected: { y: [8.6, 15.8], n: [1, 2], label: ['BASIC', 'PREMIUM'], flag: [true, false] },
    }, null, 2));
    fs.mkdirSync(path.join(tensorFolder, 'samples'));
    fs.writeFileSync(path.join(tensorFolder, 'samples', 'example.json'), JSON.stringify({
      inputs: { image: [[[0.1, 0.2], [0.3, 0.4]], [[1, 2], [3, 4]]] },
    }, null, 2));
    [dfServer, tensorServer] = await Promise.all([startServer(dfFolder), startServer(tensorFolder)]);
    browser = await launchChromium(path.join(work, 'chromium'));
    fs.mkdirSync(shots, { recursive: true });
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await Promise.all([dfServer?.stop(), tensorServer?.stop()]);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('defect 2 + 1: connecting loads the model\'s own samples/example.json, which sends; rows are numbered from 1', async () => {
    const p = await openPanelPage(/** @type {any} */ (browser), dfFolder);
    try {
      const { page } = p;
      await connect(page, dfServer.address);
      await page.locator('.loaded', { hasText: 'Loaded example.json' }).waitFor({ timeout: 30_000 });
      assert.deepEqual(await rowsOf(page, 'input-table', 2), [['1', '4.3', '1', 'basic', 'true'], ['2', '7.9', '2', 'premium', 'false']]);
      await page.locator('[data-testid="send"]').click();
      await page.locator('[data-testid="result-status"][data-state="ok"]').waitFor({ timeout: 30_000 });
      assert.deepEqual(await rowsOf(page, 'result-table', 2), [['1', '8.6', '1', 'BASIC', 'true'], ['2', '15.8', '2', 'PREMIUM', 'false']]);
      await page.screenshot({ path: path.join(shots, 'panel-flow-sample.png'), fullPage: true });
    } finally {
      await p.close();
    }
  });

  it('defect 1: "Load file…" reads a tensor model\'s example.json; a red message clears when a later load works', async () => {
    const p = await openPanelPage(/** @type {any} */ (browser), tensorFolder);
    try {
      const { page, host } = p;
      await connect(page, tensorServer.address);
      await page.locator('.loaded', { hasText: 'Loaded example.json' }).waitFor({ timeout: 30_000 });
      const bad = path.join(work, 'bad.json');
      fs.writeFileSync(bad, '{"a": 1}');
      host.nextFile = bad;
      await page.locator('[data-testid="load-file"]').click();
      await page.locator('.notice.error', { hasText: 'bad.json' }).waitFor({ timeout: 30_000 });
      host.nextFile = path.join(tensorFolder, 'samples', 'example.json');
      await page.locator('[data-testid="load-file"]').click();
      await page.locator('.notice.error').waitFor({ state: 'detached', timeout: 30_000 });
      await page.locator('[data-testid="send"]').click();
      await page.locator('[data-testid="result-status"][data-state="ok"]').waitFor({ timeout: 30_000 });
      const rows = await rowsOf(page, 'result-table', 2);
      // total is float32: 0.1 + 0.2 + 0.3 + 0.4 shown at float32 precision, 10 as a float.
      assert.deepEqual(rows.map((r) => r[0]), ['1', '2']);
      assert.ok(Math.abs(Number(rows[0]?.[1]) - 1) < 1e-6 && rows[1]?.[1] === '10.0', JSON.stringify(rows));
      assert.equal(rows[0]?.[2], '[[0.2, 0.4], [0.6, 0.8]]', 'a [2, 2] tensor per row is shown nested by its shape');
      await page.locator('[data-testid="result-table"] .vt-row[data-row="1"] .vt-cell').nth(2).click();
      await page.locator('[data-testid="cell-detail"]', { hasText: 'row 2, doubled' }).waitFor({ timeout: 30_000 });
      assert.equal(await page.locator('[data-testid="cell-detail"] pre').innerText(), '[[2.0, 4.0],\n [6.0, 8.0]]');
      await page.screenshot({ path: path.join(shots, 'panel-flow-tensor.png'), fullPage: true });
    } finally {
      await p.close();
    }
  });

  it('defect 3: a model that stops answering is "not running" in plain words, with Run Model', async () => {
    const folder = path.join(work, 'panel-df-stop');
    fs.cpSync(dfFolder, folder, { recursive: true });
    const server = await startServer(folder);
    const p = await openPanelPage(/** @type {any} */ (browser), folder);
    try {
      const { page, host } = p;
      await connect(page, server.address);
      await page.locator('.loaded', { hasText: 'Loaded example.json' }).waitFor({ timeout: 30_000 });
      await server.stop();
      await page.locator('[data-testid="send"]').click();
      await page.locator('[data-testid="result-status"][data-state="error"]').waitFor({ timeout: 60_000 });
      assert.equal(await page.locator('[data-testid="result-status"]').innerText(), 'NOT RUNNING · the model is not running');
      const failure = await page.locator('[data-testid="failure"]').innerText();
      assert.match(failure, /Model 'panel-df' is not running: nothing answers at unix:\/\/\/.* Run it again \(Run Model\), then send\./);
      assert.doesNotMatch(failure, /No connection established|Resolution note|UNAVAILABLE/, 'no raw gRPC text');
      assert.match(await page.locator('[data-testid="model-state"]').innerText(), /panel-df is not running\./);
      await page.screenshot({ path: path.join(shots, 'panel-flow-stopped.png'), fullPage: true });
      await page.locator('[data-testid="failure"] [data-testid="run-model"]').click();
      await page.waitForFunction(() => true);
      for (let i = 0; i < 100 && host.ranModel.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(host.ranModel.length, 1, 'Run Model asks the extension to run the model');
    } finally {
      await p.close();
      await server.stop().catch(() => undefined);
    }
  });

  it('defect 8: random rows within the sample\'s ranges, said to be random; a .npy named after its input; notices clear of History', async () => {
    const p = await openPanelPage(/** @type {any} */ (browser), dfFolder);
    try {
      const { page, host } = p;
      await connect(page, dfServer.address);
      await page.locator('.loaded', { hasText: 'Loaded example.json' }).waitFor({ timeout: 30_000 });
      await page.locator('[data-testid="random-rows"] input').fill('20');
      await page.locator('[data-testid="random"]').click();
      assert.match(await page.locator('[data-testid="random-note"]').innerText(), /Random values, drawn within the ranges of example\.json/);
      const xs = await page.locator('[data-testid="grid"] input[data-col="x"]').evaluateAll((els) => els.map((e) => Number(/** @type {HTMLInputElement} */ (e).value)));
      assert.equal(xs.length, 20);
      assert.ok(xs.every((x) => x >= 4.3 && x <= 7.9), `x within the sample's 4.3..7.9: ${xs.join(', ')}`);
      const labels = await page.locator('[data-testid="grid"] input[data-col="label"]').evaluateAll((els) => els.map((e) => /** @type {HTMLInputElement} */ (e).value));
      assert.ok(labels.every((l) => l === 'basic' || l === 'premium'), labels.join(', '));
      await page.locator('[data-testid="send"]').click();
      await page.locator('[data-testid="result-table"] .vt-footer', { hasText: '20 rows' }).waitFor({ timeout: 30_000 });

      // A long notice (a saved sample's path) wraps, and sits above the History table, not over it.
      await page.locator('[data-testid="sample-name"] input').fill('a-rather-long-sample-name-to-show-the-whole-path-of-the-saved-file');
      await page.locator('[data-testid="save-sample"]').click();
      const notice = page.locator('.notice', { hasText: 'Saved ' });
      await notice.waitFor({ timeout: 30_000 });
      assert.ok((await notice.innerText()).includes(path.join(dfFolder, 'samples', 'a-rather-long-sample-name-to-show-the-whole-path-of-the-saved-file.json')));
      const box = await notice.boundingBox();
      const history = await page.locator('.history-section').boundingBox();
      assert.ok(box && history && box.y + box.height <= history.y, `the notice (${JSON.stringify(box)}) does not overlap History (${JSON.stringify(history)})`);
      const clipped = await notice.evaluate((el) => el.scrollWidth > el.clientWidth + 1);
      assert.equal(clipped, false, 'the saved path is not clipped');
      await page.screenshot({ path: path.join(shots, 'panel-flow-random.png'), fullPage: true });
      await p.close();

      const t = await openPanelPage(/** @type {any} */ (browser), tensorFolder);
      try {
        await connect(t.page, tensorServer.address);
        await t.page.locator('.loaded', { hasText: 'Loaded example.json' }).waitFor({ timeout: 30_000 });
        const npy = path.join(work, 'pixels.npy');
        writeNpy(npy, [1, 2, 2], [0.1, 0.2, 0.3, 0.5]);
        t.host.nextFile = npy;
        await t.page.locator('[data-testid="load-file"]').click();
        await t.page.locator('.loaded', { hasText: 'Loaded pixels.npy' }).waitFor({ timeout: 30_000 });
        assert.deepEqual(await t.page.locator('[data-testid="input-table"] .vt-header .vt-name').allInnerTexts(), ['image'], 'the column is named after the input it is sent as');
        assert.match(await t.page.locator('.loaded').innerText(), /sent as input 'image' \(the file's array is 'pixels'\)/);
        assert.deepEqual((await rowsOf(t.page, 'input-table', 1))[0], ['1', '[[0.1, 0.2], [0.3, 0.5]]'], 'float32 shown at float32 precision');
        await t.page.screenshot({ path: path.join(shots, 'panel-flow-npy.png'), fullPage: true });
      } finally {
        await t.close();
      }
      void host;
    } finally {
      await p.close().catch(() => undefined);
    }
  });
});
