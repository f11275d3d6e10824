// UI test: the test-prediction panel in code-server (packaged .vsix) driven in Debian's Chromium.
// A model runs (a container started with PyML: Run Model when Docker and the test base image are
// there, else the same runtime started on this machine); the panel opens from the palette; a cell is
// edited, sent, and the answer read in the table; a CSV and a Parquet file are loaded through the
// file dialog and sent; a model exception shows its traceback and a click on the model.py frame
// lands on that line of model.py. Screenshots go to test-results/ui/.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'mocha';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { baseImageTag, hostPython, repoRoot } from '../../scripts/lib/paths.mjs';
import { closeWorkbench, dockerReady, openWorkbench, removeModelContainers, ROW, runFromPalette, shots, WIDGET } from './lib/workbench.mjs';

const FIXTURE = path.join(repoRoot, 'test', 'fixtures', 'panel', 'panel-df');

/** The panel's webview content. @param {import('playwright-core').Page} page */
function webview(page) {
  return page.frameLocator('iframe.webview.ready[src*="extensionId=pyml.pyml-vscode"]').frameLocator('iframe#active-frame');
}

/** Rendered rows of a virtual table. @param {import('playwright-core').FrameLocator} view @param {string} id */
async function rows(view, id) {
  return view.locator(`[data-testid="${id}"] .vt-row:not([hidden])`).evaluateAll((els) => els.map((r) => [...r.children].map((c) => c.textContent ?? '')));
}

/**
 * Waits until a table shows `n` rows, every one filled in.
 * @param {import('playwright-core').FrameLocator} view @param {string} id @param {number} n
 */
async function waitForRows(view, id, n) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await rows(view, id);
    if (r.length === n && r.every((row) => !row.includes('…'))) return r;
    if (Date.now() > deadline) throw new Error(`table ${id} did not show ${n} rows; it shows ${JSON.stringify(r)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** Answers code-server's simple file dialog with an absolute path. @param {import('playwright-core').Page} page @param {string} file */
async function chooseFile(page, file) {
  const selector = `${WIDGET} input`;
  const input = page.locator(selector);
  await input.waitFor({ state: 'visible', timeout: 20_000 });
  // The dialog fills in the current folder once it has read it, which can overwrite a path typed
  // before: wait for that, then type the path until the input holds it.
  await page.waitForFunction((sel) => (/** @type {HTMLInputElement | null} */ (document.querySelector(sel))?.value ?? '').startsWith('/'), selector, { timeout: 20_000 });
  const deadline = Date.now() + 20_000;
  for (;;) {
    await input.fill(file);
    const held = await page.waitForFunction(([sel, want]) => /** @type {HTMLInputElement | null} */ (document.querySelector(sel ?? ''))?.value === want, [selector, file], { timeout: 2_000 })
      .then(() => true, () => false);
    if (held) break;
    if (Date.now() > deadline) throw new Error(`the file dialog never kept the path ${file}`);
  }
  await page.screenshot({ path: path.join(shots, 'panel-vscode-dialog.png') });
  // An Enter pressed while the dialog is still validating the path can be lost: press it again while the
  // dialog stays open with the path in it.
  const closeBy = Date.now() + 20_000;
  for (;;) {
    await page.keyboard.press('Enter');
    const closed = await input.waitFor({ state: 'hidden', timeout: 4_000 }).then(() => true, () => false);
    if (closed) break;
    if (Date.now() > closeBy) throw new Error(`the file dialog did not accept ${file}`);
    if ((await input.inputValue().catch(() => '')) !== file) await input.fill(file);
  }
}

describe('test prediction panel (packaged extension in code-server)', function () {
  this.timeout(10 * 60_000);
  /** @type {import('./lib/workbench.mjs').Workbench | undefined} */
  let wb;
  /** @type {import('playwright-core').Page} */
  let page;
  /** @type {import('node:child_process').ChildProcess | undefined} */
  let hostServer;
  let workspace = '';
  let address = '';
  let viaContainer = false;

  before(async function () {
    this.timeout(8 * 60_000);
    wb = await openWorkbench('ui-panel', FIXTURE, async (ws) => {
      workspace = ws;
      fs.writeFileSync(path.join(workspace, 'inputs.csv'), 'x,n,label,flag\n0.5,1,csv-a,true\n1.5,2,csv-b,false\n2.5,3,csv-c,true\n');
      const { parquetWriteBuffer } = await import('hyparquet-writer');
      fs.writeFileSync(path.join(workspace, 'inputs.parquet'), Buffer.from(parquetWriteBuffer({ columnData: [
        { name: 'x', data: new Float64Array([10, 20]), type: 'DOUBLE' },
        { name: 'n', data: [5n, null], type: 'INT64' },
        { name: 'label', data: ['pq-a', 'pq-b'], type: 'STRING' },
        { name: 'flag', data: [false, true], type: 'BOOLEAN' },
      ] })));

      viaContainer = process.env.PYML_UI_PANEL_HOST_SERVER !== '1' && dockerReady();
      if (!viaContainer) {
        // No Docker here: the same runtime on this machine, over the same kind of socket.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyml-ui-panel-'));
        const socket = path.join(dir, 'm.sock');
        hostServer = spawn(hostPython, ['-m', 'pyml', 'serve', workspace, '--socket', socket], {
          env: { ...process.env, PYTHONPATH: path.join(repoRoot, 'runtime'), PYTHONDONTWRITEBYTECODE: '1' }, stdio: 'ignore',
        });
        for (let i = 0; i < 300 && !fs.existsSync(socket); i++) await new Promise((r) => setTimeout(r, 100));
        assert.ok(fs.existsSync(socket), 'the runtime did not create its socket');
        address = `unix://${socket}`;
        console.log(`      (no Docker with ${baseImageTag}: the model runs on the host at ${address})`);
      }
    });
    page = wb.page;
  });

  after(async function () {
    this.timeout(2 * 60_000);
    if (viaContainer && page) {
      await runFromPalette(page, 'PyML: Stop Model').catch(() => undefined);
    }
    await closeWorkbench(wb);
    hostServer?.kill('SIGTERM');
    if (viaContainer) removeModelContainers('panel-df');
  });

  it('runs the model, opens the panel from the palette, edits a cell, sends and reads the answer', async function () {
    if (viaContainer) {
      await runFromPalette(page, 'PyML: Run Model');
      // One model folder: it may be picked for us, or offered alone.
      const picked = await page.locator(ROW).first().waitFor({ state: 'visible', timeout: 5_000 }).then(() => true, () => false);
      if (picked) await page.keyboard.press('Enter');
      await page.locator('.notifications-toasts', { hasText: 'panel-df is ready' }).waitFor({ timeout: 6 * 60_000 });
    }
    await runFromPalette(page, 'PyML: Open Test Prediction Panel');
    const view = webview(page);
    await view.locator('[data-testid="send"]').waitFor({ timeout: 60_000 });
    if (!viaContainer) {
      await view.locator('[data-testid="address"] input').fill(address);
      await view.locator('[data-testid="connect"]').click();
    }
    // With exactly one model running, the panel connects to it by itself (issue 16, defect 2), and the
    // dropdown shows it.
    await view.locator('[data-testid="connection"] strong', { hasText: 'panel-df' }).waitFor({ timeout: 60_000 });
    if (viaContainer) {
      await view.locator('[data-testid="model-state"]', { hasText: 'panel-df is running.' }).waitFor({ timeout: 60_000 });
      const selected = await view.locator('[data-testid="target-select"]').evaluate((el) => /** @type {any} */ (el).value);
      assert.match(String(selected), /^c-/, 'the dropdown shows the connected container');
      await page.screenshot({ path: path.join(shots, 'panel-vscode-connected.png') });
    }
    const cell = (/** @type {string} */ col, /** @type {number} */ row) => view.locator(`[data-testid="grid"] tr[data-row="${row}"] input[data-col="${col}"]`);
    await cell('x', 0).fill('1.25');
    await cell('n', 0).fill('7');
    await cell('label', 0).fill('hello');
    await cell('flag', 0).fill('yes');
    await page.screenshot({ path: path.join(shots, 'panel-vscode-edit.png') });
    await view.locator('[data-testid="send"]').click();
    await view.locator('[data-testid="result-status"][data-state="ok"]').waitFor({ timeout: 60_000 });
    assert.deepEqual(await waitForRows(view, 'result-table', 1), [['1', '2.5', '7', 'HELLO', 'true']]);
    await page.screenshot({ path: path.join(shots, 'panel-vscode-result.png') });
  });

  it('loads a CSV and a Parquet file through the file dialog and sends them', async function () {
    const view = webview(page);
    await view.locator('[data-testid="load-file"]').click();
    await chooseFile(page, path.join(workspace, 'inputs.csv'));
    await view.locator('.loaded', { hasText: 'Loaded inputs.csv' }).waitFor({ timeout: 30_000 });
    await view.locator('[data-testid="send"]').click();
    const csv = await waitForRows(view, 'result-table', 3);
    assert.deepEqual(csv.map((r) => [r[1], r[3]]), [['1.0', 'CSV-A'], ['3.0', 'CSV-B'], ['5.0', 'CSV-C']]);

    await view.locator('[data-testid="load-file"]').click();
    await chooseFile(page, path.join(workspace, 'inputs.parquet'));
    await view.locator('.loaded', { hasText: 'Loaded inputs.parquet' }).waitFor({ timeout: 30_000 });
    await view.locator('[data-testid="send"]').click();
    await view.locator('[data-testid="result-table"] .vt-footer', { hasText: '2 rows' }).waitFor({ timeout: 30_000 });
    assert.deepEqual(await waitForRows(view, 'result-table', 2), [['1', '20.0', '5', 'PQ-A', 'false'], ['2', '40.0', 'null', 'PQ-B', 'true']]);
    await page.screenshot({ path: path.join(shots, 'panel-vscode-parquet.png') });
  });

  it('shows a model exception with its traceback; the model.py frame opens model.py at that line', async function () {
    const view = webview(page);
    // Back to the grid when an earlier test left a loaded file as the input.
    const clear = view.locator('[data-testid="clear-loaded"]');
    if (await clear.count()) await clear.click();
    const cell = (/** @type {string} */ col) => view.locator(`[data-testid="grid"] tr[data-row="0"] input[data-col="${col}"]`);
    await cell('label').fill('boom');
    await view.locator('[data-testid="send"]').click();
    await view.locator('[data-testid="frames"]').waitFor({ timeout: 60_000 });
    assert.match(await view.locator('[data-testid="failure"]').innerText(), /ValueError: the label 'boom' is not allowed/);
    await page.screenshot({ path: path.join(shots, 'panel-vscode-traceback.png') });
    const line = Number(await view.locator('a.frame-link[data-file="model.py"]').getAttribute('data-line'));
    const source = fs.readFileSync(path.join(workspace, 'model.py'), 'utf8').split('\n');
    assert.match(source[line - 1] ?? '', /check_labels\(df\["label"\]\)/, 'the frame points at the call in predict');
    await view.locator('a.frame-link[data-file="model.py"]').click();
    await page.locator('.tab.active', { hasText: 'model.py' }).waitFor({ timeout: 30_000 });
    await page.locator('.statusbar-item', { hasText: `Ln ${line},` }).first().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: path.join(shots, 'panel-vscode-frame.png') });
  });

  it('follows the model: after Stop Model the panel says it is stopped, and Send says it is not running, with Run Model', async function () {
    if (!viaContainer) {
      const why = 'the model runs on this machine, not in a container, so there is no Stop Model (no Docker with the base image, or PYML_UI_PANEL_HOST_SERVER=1)';
      // CI provisions Docker and the base image: there a missing engine fails instead of skipping.
      if (process.env.CI && process.env.PYML_UI_PANEL_HOST_SERVER !== '1') throw new Error(`${why}; CI provisions Docker, so this fails instead of skipping`);
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    const view = webview(page);
    // The frame link of the test before put model.py in front: bring the panel back as a user would.
    await runFromPalette(page, 'PyML: Open Test Prediction Panel');
    await view.locator('[data-testid="send"]').waitFor({ state: 'visible', timeout: 30_000 });
    await runFromPalette(page, 'PyML: Stop Model');
    const picked = await page.locator(ROW).first().waitFor({ state: 'visible', timeout: 5_000 }).then(() => true, () => false);
    if (picked) await page.keyboard.press('Enter');
    await view.locator('[data-testid="model-state"][data-state="stopped"]').waitFor({ state: 'attached', timeout: 120_000 });
    assert.match(await view.locator('[data-testid="model-state"]').textContent() ?? '', /panel-df is stopped: run it again to send requests\.\s*Run Model/);
    await view.locator('[data-testid="send"]').click();
    // The traceback test before left an error status up: wait for this request's own answer.
    await view.locator('[data-testid="result-status"][data-state="error"]', { hasText: 'NOT RUNNING' }).waitFor({ timeout: 60_000 });
    assert.equal(await view.locator('[data-testid="result-status"]').innerText(), 'NOT RUNNING · the model is not running');
    assert.doesNotMatch(await view.locator('[data-testid="failure"]').innerText(), /No connection established|Resolution note/);
    await view.locator('[data-testid="failure"] [data-testid="run-model"]').waitFor();
    await page.screenshot({ path: path.join(shots, 'panel-vscode-stopped.png') });
  });
});
