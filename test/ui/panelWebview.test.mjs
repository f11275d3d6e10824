// UI test of the test-prediction panel's webview in Debian's Chromium, wired to the real panel logic
// (PanelSession, compiled to out/) and a real PyML runtime server on a Unix socket. The page is the
// panel's own (same HTML, same CSP with a nonce, same bundle dist/webview.js); only VS Code's
// postMessage bridge is stood in by Playwright. Checks what the user does: connect, edit a cell,
// send, read the answer; a model exception and its frame link; CSV and Parquet files; a
// 1,000,000 x 8 answer scrolled end to end. Screenshots go to test-results/ui/.
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
const arrow = require('apache-arrow');

const shots = path.join(resultsDir, 'ui');

/** @param {import('playwright-core').Page} page @param {string} address */
async function connect(page, address) {
  await page.locator('[data-testid="address"]').locator('input').fill(address);
  await page.locator('[data-testid="connect"]').click();
  await page.locator('[data-testid="connection"] strong').waitFor({ timeout: 15_000 });
}

/** Texts of the rendered rows of a virtual table. @param {import('playwright-core').Page} page @param {string} testId */
async function tableRows(page, testId) {
  return page.evaluate((id) => {
    const rows = [...document.querySelectorAll(`[data-testid="${id}"] .vt-row:not([hidden])`)];
    return rows.map((r) => [...r.children].map((c) => c.textContent ?? ''));
  }, testId);
}

describe('panel webview in Chromium, against a real runtime server', function () {
  this.timeout(5 * 60_000);
  /** @type {import('playwright-core').BrowserContext | undefined} */
  let browser;
  /** @type {any} */
  let dfServer;
  /** @type {any} */
  let wideServer;
  /** @type {any} */
  let tensorServer;
  let work = '';

  before(async function () {
    requirePrerequisite(this, liveServerUnavailable());
    assert.ok(fs.existsSync(path.join(repoRoot, 'dist', 'webview.js')), 'dist/webview.js is missing: npm run build');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'pyml-panel-ui-'));
    fs.cpSync(path.join(PANEL_FIXTURES, 'panel-df'), path.join(work, 'panel-df'), { recursive: true });
    [dfServer, wideServer, tensorServer] = await Promise.all([
      startServer(path.join(work, 'panel-df')),
      startServer(path.join(PANEL_FIXTURES, 'panel-wide')),
      startServer(path.join(PANEL_FIXTURES, 'panel-tensor')),
    ]);
    browser = await launchChromium(path.join(work, 'chromium'));
    fs.mkdirSync(shots, { recursive: true });
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await Promise.all([dfServer?.stop(), wideServer?.stop(), tensorServer?.stop()]);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('edits a cell, sends, and reads the answer in the table; no CSP violation', async () => {
    const p = await openPanelPage(/** @type {any} */ (browser), path.join(work, 'panel-df'));
    try {
      const { page } = p;
      await connect(page, dfServer.address);
      assert.match(await page.locator('[data-testid="connection"]').innerText(), /panel-df/);
      const cell = (/** @type {string} */ col, /** @type {number} */ row) => page.locator(`[data-testid="grid"] tr[data-row="${row}"] input[data-col="${col}"]`);
      await cell('x', 0).fill('2.25');
      await cell('n', 0).fill('41');
      await cell('label', 0).fill('héllo');
      await cell('flag', 0).fill('true');
      // A bad cell is marked and blocks sending.
      await cell('n', 0).fill('4.5');
      assert.equal(await cell('n', 0).getAttribute('aria-invalid'), 'true');
      assert.match(await page.locator('[data-testid="input-problems"]').innerText(), /1 cell does not fit/);
      await cell('n', 0).fill('41');
      await page.locator('[data-testid="add-row"]').click();
      await cell('x', 1).fill('-1');
      await cell('n', 1).fill('0');
      await cell('label', 1).fill('b');
      await cell('flag', 1).fill('no');
      await page.locator('[data-testid="send"]').click();
      await page.locator('[data-testid="result-status"][data-state="ok"]').waitFor();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="result-table"] .vt-row:not([hidden])').length === 2 && !document.querySelector('[data-testid="result-table"]')?.textContent?.includes('…'));
      assert.deepEqual(await tableRows(page, 'result-table'), [
        ['1', '4.5', '41', 'HÉLLO', 'true'],
        ['2', '-2.0', '0', 'B', 'false'],
      ]);
      assert.match(await page.locator('[data-testid="result-status"]').innerText(), /encode .* round trip .* decode .* sent 49 B/);
      // A block pasted from a spreadsheet (with its header row) fills the grid and adds rows.
      await cell('x', 0).evaluate((input) => {
        const win = /** @type {any} */ (input.ownerDocument.defaultView);
        const data = new win.DataTransfer();
        data.setData('text/plain', 'label\tx\tn\tflag\np1\t1\t10\ttrue\np2\t2\t20\tfalse\np3\t3\t30\ttrue\n');
        input.dispatchEvent(new win.ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
      });
      assert.equal(await page.locator('[data-testid="grid"] tbody tr').count(), 3);
      assert.equal(await cell('label', 2).inputValue(), 'p3');
      assert.equal(await cell('n', 1).inputValue(), '20');
      await page.screenshot({ path: path.join(shots, 'panel-result.png'), fullPage: true });
      assert.deepEqual(p.violations, []);
    } finally {
      await p.close();
    }
  });

  it('edits tensors with shape checks, fills a random sample from the schema, sends it', async () => {
    const p = await openPanelPage(/** @type {any} */ (browser), path.join(PANEL_FIXTURES, 'panel-tensor'));
    try {
      const { page } = p;
      await connect(page, tensorServer.address);
      const text = page.locator('textarea[data-tensor="image"]');
      await text.fill('[[1, 2, 3]]');
      assert.match(await page.locator('.tensor-status').innerText(), /shape \[1, 3\] does not fit the declared \[-1, 2, 2\]/);
      assert.equal(await page.locator('[data-testid="send"]').getAttribute('disabled'), '');
      await page.locator('[data-testid="random-rows"] input').fill('4');
      await page.locator('[data-testid="random"]').click();
      assert.match(await page.locator('.tensor-status').innerText(), /shape \[4, 2, 2\] ✓/);
      await page.locator('[data-testid="send"]').click();
      await page.waitForFunction(() => /4 rows/.test(document.querySelector('[data-testid="result-table"] .vt-footer')?.textContent ?? ''));
      await page.waitForFunction(() => !document.querySelector('[data-testid="result-table"] .vt-window')?.textContent?.includes('…'));
      const rows = await tableRows(page, 'result-table');
      assert.equal(rows.length, 4);
      // total is the sum of each image; doubled is the image times 2.
      for (const r of rows) {
        // A [2, 2] image per row is shown nested by its shape.
        const doubled = JSON.parse(r[2] ?? '[]').flat();
        assert.equal(doubled.length, 4);
        assert.ok(Math.abs(Number(r[1]) - doubled.reduce((/** @type {number} */ a, /** @type {number} */ b) => a + b, 0) / 2) < 1e-3, JSON.stringify(r));
      }
      await page.screenshot({ path: path.join(shots, 'panel-tensor.png'), fullPage: true });
    } finally {
      await p.close();
    }
  });

  it('shows a model exception with its traceback; a frame link opens the file at its line', async () => {
    const p = await openPanelPage(/** @type {any} */ (browser), path.join(work, 'panel-df'));
    try {
      const { page } = p;
      await connect(page, dfServer.address);
      const cell = (/** @type {string} */ col) => page.locator(`[data-testid="grid"] tr[data-row="0"] input[data-col="${col}"]`);
      await cell('x').fill('1');
      await cell('n').fill('1');
      await cell('label').fill('boom');
      await cell('flag').fill('true');
      await page.locator('[data-testid="send"]').click();
      await page.locator('[data-testid="frames"]').waitFor();
      assert.match(await page.locator('[data-testid="failure"]').innerText(), /ValueError: the label 'boom' is not allowed/);
      await page.screenshot({ path: path.join(shots, 'panel-traceback.png'), fullPage: true });
      await page.locator('a.frame-link[data-file="helpers.py"]').click();
      await page.waitForFunction(() => true);
      for (let i = 0; i < 50 && p.host.opened.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(p.host.opened, [{ file: path.join(work, 'panel-df', 'helpers.py'), line: 7 }]);
    } finally {
      await p.close();
    }
  });

  it('loads a CSV and a Parquet file and sends them', async () => {
    const p = await openPanelPage(/** @type {any} */ (browser), path.join(work, 'panel-df'));
    try {
      const { page, host } = p;
      await connect(page, dfServer.address);
      const csv = path.join(work, 'in.csv');
      fs.writeFileSync(csv, 'x,n,label,flag\n0.5,1,a,true\n1.5,2,b,false\n2.5,3,c,true\n');
      host.nextFile = csv;
      await page.locator('[data-testid="load-file"]').click();
      await page.waitForFunction(() => /3 rows/.test(document.querySelector('[data-testid="input-table"] .vt-footer')?.textContent ?? ''));
      await page.locator('[data-testid="send"]').click();
      await page.waitForFunction(() => /3 rows/.test(document.querySelector('[data-testid="result-table"] .vt-footer')?.textContent ?? ''));
      await page.waitForFunction(() => !document.querySelector('[data-testid="result-table"] .vt-window')?.textContent?.includes('…'));
      assert.deepEqual((await tableRows(page, 'result-table')).map((r) => r[1]), ['1.0', '3.0', '5.0']);

      const { parquetWriteBuffer } = await import('hyparquet-writer');
      const parquet = path.join(work, 'in.parquet');
      const buf = parquetWriteBuffer({ columnData: [
        { name: 'x', data: new Float64Array([10, 20]), type: 'DOUBLE' },
        { name: 'n', data: [5n, null], type: 'INT64' },
        { name: 'label', data: ['p', 'q'], type: 'STRING' },
        { name: 'flag', data: [false, true], type: 'BOOLEAN' },
      ] });
      fs.writeFileSync(parquet, Buffer.from(buf));
      host.nextFile = parquet;
      await page.locator('[data-testid="load-file"]').click();
      await page.waitForFunction(() => /Loaded in\.parquet/.test(document.querySelector('.loaded')?.textContent ?? ''));
      await page.locator('[data-testid="send"]').click();
      await page.waitForFunction(() => /2 rows/.test(document.querySelector('[data-testid="result-table"] .vt-footer')?.textContent ?? ''));
      await page.waitForFunction(() => !document.querySelector('[data-testid="result-table"] .vt-window')?.textContent?.includes('…'));
      assert.deepEqual(await tableRows(page, 'result-table'), [
        ['1', '20.0', '5', 'P', 'false'],
        ['2', '40.0', 'null', 'Q', 'true'],
      ]);
      await page.screenshot({ path: path.join(shots, 'panel-parquet.png'), fullPage: true });
    } finally {
      await p.close();
    }
  });

  it('loads, sends and scrolls a 1,000,000 x 8 FP64 answer without freezing', async () => {
    const p = await openPanelPage(/** @type {any} */ (browser), PANEL_FIXTURES);
    try {
      const { page, host } = p;
      await connect(page, wideServer.address);
      const rows = 1_000_000;
      const columns = /** @type {Record<string, import('apache-arrow').Vector>} */ ({});
      for (let c = 0; c < 8; c++) {
        const v = new Float64Array(rows);
        for (let r = 0; r < rows; r++) v[r] = r + c / 10;
        columns[`c${c}`] = arrow.makeVector(v);
      }
      const file = path.join(work, 'wide.arrow');
      fs.writeFileSync(file, arrow.tableToIPC(new arrow.Table(columns), 'file'));
      host.nextFile = file;
      await page.locator('[data-testid="load-file"]').click();
      await page.waitForFunction(() => /1,000,000 rows/.test(document.querySelector('[data-testid="input-table"] .vt-footer')?.textContent ?? ''), undefined, { timeout: 60_000 });
      await page.locator('[data-testid="send"]').click();
      await page.waitForFunction(() => /1,000,000 rows/.test(document.querySelector('[data-testid="result-table"] .vt-footer')?.textContent ?? ''), undefined, { timeout: 120_000 });
      // While rows stream in on demand, the page answers at once: scroll to the end, read the last row.
      await page.evaluate(() => {
        const body = document.querySelector('[data-testid="result-table"] .vt-body');
        if (body) body.scrollTop = body.scrollHeight;
      });
      await page.waitForFunction(() => {
        const rows = [...document.querySelectorAll('[data-testid="result-table"] .vt-row:not([hidden])')];
        return rows.some((r) => r.firstElementChild?.textContent === '1000000' && !r.textContent?.includes('…'));
      }, undefined, { timeout: 30_000 });
      const last = (await tableRows(page, 'result-table')).find((r) => r[0] === '1000000');
      assert.deepEqual(last, ['1000000', '999999.0', '999999.1', '999999.2', '999999.3', '999999.4', '999999.5', '999999.6', '999999.7']);
      // The DOM holds only the rows in view.
      const drawn = await page.evaluate(() => document.querySelectorAll('[data-testid="result-table"] .vt-row').length);
      assert.ok(drawn < 100, `${drawn} rows in the DOM`);
      await page.screenshot({ path: path.join(shots, 'panel-million.png'), fullPage: true });
    } finally {
      await p.close();
    }
  });
});
