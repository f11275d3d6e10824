// UI test (issue 16, acceptance): the whole first hour walked as a user, on the workspace `npm start`
// opens (examples/, with a CSV of flowers added as the user's data), with the packaged extension in
// code-server, driven in Debian's Chromium, against a real Docker engine:
//   New Model (scikit-learn DataFrame) -> a typo gets a diagnostic, fixed by its quick fix -> Build ->
//   Run in Dev Mode -> the panel opens connected with the model's sample -> Send -> an edit saved in
//   model.py -> the panel says "reloaded" -> Send shows the edit -> batch on the CSV -> its preview ->
//   Stop -> the panel says stopped.
// Along the whole walk no notification is an error (every toast is watched as it appears, and the
// notification centre is read at the end), and the PyML log has no error line.
// Screenshots go to test-results/ui/walk-*.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'mocha';
import { prepareExampleWorkspace } from '../../scripts/lib/exampleWorkspace.mjs';
import { repoRoot } from '../../scripts/lib/paths.mjs';
import { closeWorkbench, goToLine, openWorkbench, quickOpen, removeModelContainers, removeModelImages, requireDocker, ROW, runExactly, shots, WIDGET } from './lib/workbench.mjs';

// A name of this test's own: images and containers on the shared engine are named after it.
const MODEL = 'walk-iris';
const CLASS = 'WalkIrisModel';
const FLOWERS = 'flower_id,sepal_length,sepal_width,petal_length,petal_width\nf1,5.1,3.5,1.4,0.2\nf2,6.4,2.9,4.3,1.3\nf3,7.7,3.0,6.1,2.3\nf4,5.0,3.4,1.5,0.2\n';
const SPECIES = ['setosa', 'versicolor', 'virginica'];

/**
 * The content of the PyML webview (the test panel or a table preview) that holds an element with
 * `testid`: both may be open at once, so the webview is told by what it shows.
 * @param {import('playwright-core').Page} page @param {string} testid
 */
async function webviewWith(page, testid) {
  const frames = page.locator('iframe.webview.ready[src*="extensionId=pyml.pyml-vscode"]');
  const deadline = Date.now() + 60_000;
  for (;;) {
    const n = await frames.count();
    for (let i = 0; i < n; i++) {
      const view = frames.nth(i).contentFrame().frameLocator('iframe#active-frame');
      if ((await view.locator(`[data-testid="${testid}"]`).count().catch(() => 0)) > 0) return view;
    }
    if (Date.now() > deadline) throw new Error(`no PyML webview shows [data-testid="${testid}"]`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The test prediction panel's content. @param {import('playwright-core').Page} page */
const panel = (page) => webviewWith(page, 'send');

/** The batch table preview's content. @param {import('playwright-core').Page} page */
const preview = (page) => webviewWith(page, 'preview-summary');

/** @param {import('playwright-core').Page} page @param {string | RegExp} text */
function toast(page, text) {
  return page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
}

/** Rendered rows of one of the panel's tables. @param {import('playwright-core').FrameLocator} view @param {string} id @param {number} n */
async function tableRows(view, id, n) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const rows = await view.locator(`[data-testid="${id}"] .vt-row:not([hidden])`).evaluateAll((els) => els.map((r) => [...r.children].map((c) => c.textContent ?? '')));
    if (rows.length === n && rows.every((row) => !row.includes('…'))) return rows;
    if (Date.now() > deadline) throw new Error(`table ${id} did not show ${n} rows; it shows ${JSON.stringify(rows)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/**
 * Waits until the panel's dropdown shows the connected container (not "Pick a running model…").
 * @param {import('playwright-core').FrameLocator} view
 */
async function dropdownShowsContainer(view) {
  const select = view.locator('[data-testid="target-select"]');
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = String(await select.evaluate((el) => /** @type {any} */ (el).value));
    if (/^c-/.test(value)) return;
    if (Date.now() > deadline) throw new Error(`the panel's dropdown shows "${value}", not the connected container`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Answers "which model to …?" with the walk's model when the command asks. @param {import('playwright-core').Page} page */
async function pickModelIfAsked(page) {
  const title = page.locator(`${WIDGET} .quick-input-title`, { hasText: 'which model to' });
  if (!(await title.waitFor({ state: 'visible', timeout: 5_000 }).then(() => true, () => false))) return;
  await page.locator(`${WIDGET} input`).fill(MODEL);
  await page.locator(ROW, { hasText: MODEL }).first().waitFor({ state: 'visible', timeout: 20_000 });
  await page.keyboard.press('Enter');
}

/**
 * Replaces the text of one line of the active editor as a user does (cursor there, select to the end,
 * type), then checks the file holds it: the editor's auto-closing and indenting must not have changed it.
 * @param {import('playwright-core').Page} page @param {number} line @param {string} text the line without its indentation
 */
async function replaceLine(page, line, text) {
  await goToLine(page, line);
  await page.keyboard.press('Home');
  await page.keyboard.press('Shift+End');
  // Delete first: text typed over a selection that starts with a quote would be wrapped in quotes.
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

/** Every line of the PyML log channel of a code-server profile. @param {string} profileDir */
function pymlLogLines(profileDir) {
  /** @type {string[]} */
  const files = [];
  const walk = (/** @type {string} */ dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/^(\d+-)?PyML\.log$/.test(e.name)) files.push(p);
    }
  };
  walk(profileDir);
  return files.flatMap((f) => fs.readFileSync(f, 'utf8').split('\n'));
}

describe('the first hour as a user: New Model to batch and Stop on the npm start workspace (code-server, real Docker)', function () {
  this.timeout(30 * 60_000);
  // Each step starts where the one before left the user.
  this.bail(true);
  /** @type {import('./lib/workbench.mjs').Workbench | undefined} */
  let wb;
  /** @type {import('playwright-core').Page} */
  let page;
  let workspace = '';
  let folder = '';

  before(async function () {
    requireDocker();
    this.timeout(4 * 60_000);
    removeModelContainers(MODEL);
    removeModelImages(MODEL);
    wb = await openWorkbench('ui-walk', path.join(repoRoot, 'examples'), (ws) => {
      prepareExampleWorkspace(ws);
      // The user's own data, beside the examples' table.
      fs.writeFileSync(path.join(ws, 'tables', 'flowers.csv'), FLOWERS);
    });
    ({ page, workspace } = wb);
    folder = path.join(workspace, MODEL);
    // Every notification toast is recorded as it appears, with its severity, so one shown and gone
    // between two steps is still seen.
    await page.evaluate(() => {
      const seen = /** @type {{ error: boolean, text: string }[]} */ ([]);
      /** @type {any} */ (window).__walkToasts = seen;
      const record = () => {
        for (const t of document.querySelectorAll('.notifications-toasts .notification-toast')) {
          const text = t.querySelector('.notification-list-item-message')?.textContent ?? '';
          const error = t.querySelector('.codicon-error, .codicon-notifications-error') !== null;
          if (text && !seen.some((s) => s.text === text && s.error === error)) seen.push({ error, text });
        }
      };
      new window.MutationObserver(record).observe(document.body, { childList: true, subtree: true, characterData: true });
    });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await page?.screenshot({ path: path.join(shots, 'walk-failure.png') }).catch(() => undefined);
  });

  after(async function () {
    this.timeout(3 * 60_000);
    await closeWorkbench(wb);
    removeModelContainers(MODEL);
    removeModelImages(MODEL);
  });

  it('1. New Model writes a scikit-learn DataFrame model and opens model.py', async function () {
    await runExactly(page, 'PyML: New Model');
    const step = (/** @type {number} */ n) => page.locator(`${WIDGET} .quick-input-titlebar`, { hasText: `${n}/4` }).waitFor({ state: 'visible', timeout: 90_000 });
    await step(1);
    await page.locator(ROW, { hasText: 'DataFrame model' }).first().click();
    await step(2);
    await page.locator(ROW, { hasText: 'scikit-learn' }).first().click();
    await step(3);
    await page.locator(`${WIDGET} input`).fill('walk iris');
    await page.locator(`${WIDGET} .quick-input-message`, { hasText: `Python class ${CLASS}` }).waitFor({ timeout: 15_000 });
    await page.keyboard.press('Enter');
    await step(4);
    await page.waitForFunction(([sel, want]) => /** @type {HTMLInputElement | null} */ (document.querySelector(`${sel} input`))?.value === want, [WIDGET, folder], { timeout: 15_000 });
    await page.keyboard.press('Enter');
    await page.locator('.editor-instance .view-lines', { hasText: `class ${CLASS}(DataFrameModel):` }).waitFor({ timeout: 60_000 });
    assert.ok(fs.existsSync(path.join(folder, 'samples', 'example.json')), 'New Model writes a sample');
    await page.screenshot({ path: path.join(shots, 'walk-01-new-model.png') });
  });

  it('2. a misspelt predict gets a diagnostic; its quick fix renames it back and the diagnostic goes', async function () {
    const source = () => fs.readFileSync(path.join(folder, 'model.py'), 'utf8');
    const line = source().split('\n').findIndex((l) => l.includes('def predict(')) + 1;
    assert.ok(line > 0, 'model.py has a predict method');
    await replaceLine(page, line, 'def predictx(self, df: pd.DataFrame) -> pd.DataFrame:');
    await page.keyboard.press('Control+S');
    await page.waitForFunction(() => true);
    const deadline = Date.now() + 30_000;
    while (!source().includes('def predictx(') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.match(source(), /^ {4}def predictx\(self, df: pd\.DataFrame\) -> pd\.DataFrame:$/m);

    await page.keyboard.press('Control+Shift+M');
    const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'looks like a misspelling' }).first();
    await problem.waitFor({ state: 'visible', timeout: 120_000 });
    assert.match(await problem.innerText(), new RegExp(`${CLASS} has no predict method \\(predictx looks like a misspelling of it\\)`));
    await page.screenshot({ path: path.join(shots, 'walk-02-diagnostic.png') });
    // The user goes to the problem and asks for its fixes (Ctrl+.): the rename comes first.
    await problem.dblclick();
    await page.locator('.editor-instance .monaco-editor.focused').waitFor({ timeout: 15_000 });
    await page.keyboard.press('Control+.');
    const fix = page.locator('.action-widget .monaco-list-row', { hasText: 'Rename predictx to predict' }).first();
    await fix.waitFor({ state: 'visible', timeout: 30_000 });
    const first = (await page.locator('.action-widget .monaco-list-row.action').first().innerText()).trim();
    assert.match(first, /Rename predictx to predict/, 'the rename is the first fix offered');
    await page.screenshot({ path: path.join(shots, 'walk-03-quick-fix.png') });
    // The menu takes keys (a pointer block covers it): the rename is focused, Enter applies it.
    await page.locator('.action-widget .monaco-list-row.action.focused', { hasText: 'Rename predictx to predict' }).waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter');
    await page.keyboard.press('Control+S');
    const fixedBy = Date.now() + 30_000;
    while (!source().includes('def predict(') && Date.now() < fixedBy) await new Promise((r) => setTimeout(r, 100));
    assert.ok(source().includes('    def predict(self, df: pd.DataFrame) -> pd.DataFrame:'), 'the quick fix renamed the method');
    await problem.waitFor({ state: 'detached', timeout: 60_000 });
  });

  it('3. Build Image builds it, and the success message offers the log', async function () {
    await quickOpen(page, `${MODEL}/model.py`);
    await runExactly(page, 'PyML: Build Image');
    await pickModelIfAsked(page);
    const done = toast(page, `PyML: built pyml/${MODEL}`);
    await done.waitFor({ timeout: 15 * 60_000 });
    assert.deepEqual((await done.locator('.monaco-button').allInnerTexts()).map((s) => s.trim()).filter(Boolean), ['Show Log']);
    await page.screenshot({ path: path.join(shots, 'walk-04-built.png') });
  });

  it('4. Run Model in Dev Mode, then the panel opens connected to it with its sample, and Send answers', async function () {
    await runExactly(page, 'PyML: Run Model in Dev Mode');
    await pickModelIfAsked(page);
    await toast(page, `PyML: ${MODEL} is ready in dev mode`).waitFor({ timeout: 10 * 60_000 });
    await runExactly(page, 'PyML: Open Test Prediction Panel');
    const view = await panel(page);
    await view.locator('[data-testid="connection"] strong', { hasText: MODEL }).waitFor({ timeout: 60_000 });
    await view.locator('[data-testid="model-state"]', { hasText: `${MODEL} is running` }).waitFor({ timeout: 60_000 });
    await view.locator('.loaded', { hasText: 'Loaded example.json' }).waitFor({ timeout: 60_000 });
    await dropdownShowsContainer(view);
    await view.locator('[data-testid="send"]').click();
    await view.locator('[data-testid="result-status"][data-state="ok"]').waitFor({ timeout: 60_000 });
    const rows = await tableRows(view, 'result-table', 3);
    assert.deepEqual(rows.map((r) => r[0]), ['1', '2', '3'], 'result rows are numbered from 1');
    assert.deepEqual(rows.map((r) => r[1]), SPECIES);
    for (const r of rows) assert.ok(Number(r[2]) > 0.5 && Number(r[2]) < 1, `a probability shown with its digits: ${r[2]}`);
    await view.locator('[data-testid="result-table"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, 'walk-05-answer.png') });
  });

  it('5. an edit saved in model.py reloads the model: the panel says "reloaded" and Send shows the edit', async function () {
    await quickOpen(page, `${MODEL}/model.py`);
    await page.locator('.editor-group-container.active .tab.active', { hasText: 'model.py' }).waitFor({ timeout: 30_000 });
    const file = path.join(folder, 'model.py');
    const line = fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes('"species": self.pipeline.classes_[best]')) + 1;
    assert.ok(line > 0, 'model.py builds the species column');
    await replaceLine(page, line, '"species": [str(s).upper() for s in self.pipeline.classes_[best]],');
    await page.keyboard.press('Control+S');
    const deadline = Date.now() + 30_000;
    while (!fs.readFileSync(file, 'utf8').includes('.upper() for s in') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.match(fs.readFileSync(file, 'utf8'), /^ {16}"species": \[str\(s\)\.upper\(\) for s in self\.pipeline\.classes_\[best\]\],$/m);

    await runExactly(page, 'PyML: Open Test Prediction Panel');
    const view = await panel(page);
    await view.locator('[data-testid="model-state"][data-state="reloaded"]').waitFor({ state: 'attached', timeout: 120_000 });
    assert.match(await view.locator('[data-testid="model-state"]').innerText(), new RegExp(`${MODEL} reloaded at .*saved changes are live`));
    await dropdownShowsContainer(view);
    await page.screenshot({ path: path.join(shots, 'walk-06-reloaded.png') });
    await view.locator('[data-testid="send"]').click();
    await view.locator('[data-testid="result-status"][data-state="ok"]').waitFor({ timeout: 60_000 });
    const deadlineRows = Date.now() + 30_000;
    let rows = await tableRows(view, 'result-table', 3);
    while (rows[0]?.[1] !== 'SETOSA' && Date.now() < deadlineRows) rows = await tableRows(view, 'result-table', 3);
    assert.deepEqual(rows.map((r) => r[1]), SPECIES.map((s) => s.toUpperCase()));
    await view.locator('[data-testid="result-table"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, 'walk-07-after-edit.png') });
  });

  it('6. Run Batch Prediction on the CSV on this machine, then its preview shows the rows', async function () {
    await quickOpen(page, `${MODEL}/model.py`);
    await runExactly(page, 'PyML: Run Batch Prediction');
    await pickModelIfAsked(page);
    const where = page.locator(`${WIDGET} .quick-input-title`, { hasText: 'where to run' });
    await where.waitFor({ state: 'visible', timeout: 60_000 });
    await page.locator(`${WIDGET} input`).fill('This machine');
    await page.locator(ROW, { hasText: 'This machine' }).first().waitFor({ state: 'visible', timeout: 20_000 });
    await page.keyboard.press('Enter');
    await page.locator(ROW, { hasText: 'flowers.csv' }).first().waitFor({ state: 'visible', timeout: 60_000 });
    await page.locator(ROW, { hasText: 'flowers.csv' }).first().click();
    // The key column to carry through: the flower's id.
    const id = page.locator(ROW).filter({ has: page.locator('.label-name', { hasText: /^flower_id$/ }) }).first();
    await id.waitFor({ state: 'visible', timeout: 60_000 });
    await id.click();
    await page.waitForFunction((sel) => [...document.querySelectorAll(sel)].some((r) => r.textContent?.startsWith('flower_id') && r.getAttribute('aria-checked') === 'true'), ROW, { timeout: 10_000 })
      .catch(async () => { await id.locator('input[type=checkbox], .monaco-custom-toggle').first().click(); });
    await page.keyboard.press('Enter');
    // Where to write: the recommended default (a CSV beside the input, outside the model folder).
    const output = `flowers.${MODEL}-predictions.csv`;
    await page.locator(ROW).first().filter({ hasText: output }).waitFor({ timeout: 60_000 });
    await page.keyboard.press('Enter');

    const done = toast(page, `Wrote 4 rows to tables/${output} in`);
    await done.waitFor({ timeout: 10 * 60_000 });
    await page.screenshot({ path: path.join(shots, 'walk-08-batch-done.png') });
    await done.locator('.monaco-button', { hasText: 'Preview' }).click();
    const view = await preview(page);
    await view.locator('[data-testid="preview-summary"]', { hasText: '4 rows' }).waitFor({ timeout: 60_000 });
    const header = await view.locator('table.preview thead th .name').allInnerTexts();
    assert.deepEqual(header, ['flower_id', 'species', 'probability']);
    const rows = await view.locator('table.preview tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent ?? '')));
    assert.deepEqual(rows.map((r) => [r[1], r[2]]), [['f1', 'SETOSA'], ['f2', 'VERSICOLOR'], ['f3', 'VIRGINICA'], ['f4', 'SETOSA']]);
    await page.screenshot({ path: path.join(shots, 'walk-09-batch-preview.png') });
    const csv = fs.readFileSync(path.join(workspace, 'tables', output), 'utf8').trim().split('\n');
    assert.equal(csv.length, 5, 'a header and four rows');
    assert.deepEqual(fs.readdirSync(folder).filter((f) => /predictions/.test(f)), [], 'nothing is written into the model folder');
  });

  it('7. Stop Model: the panel says the model is stopped', async function () {
    await runExactly(page, 'PyML: Open Test Prediction Panel');
    const view = await panel(page);
    await view.locator('[data-testid="send"]').waitFor({ state: 'visible', timeout: 60_000 });
    await runExactly(page, 'PyML: Stop Model');
    await pickModelIfAsked(page);
    await view.locator('[data-testid="model-state"][data-state="stopped"]').waitFor({ state: 'attached', timeout: 120_000 });
    assert.match(await view.locator('[data-testid="model-state"]').textContent() ?? '', new RegExp(`${MODEL} is stopped: run it again to send requests\\.\\s*Run Model`));
    await page.screenshot({ path: path.join(shots, 'walk-10-stopped.png') });
  });

  it('8. no notification of the walk was an error, and the PyML log has no error line', async function () {
    /** @type {{ error: boolean, text: string }[]} */
    const seen = await page.evaluate(() => /** @type {any} */ (window).__walkToasts);
    assert.ok(seen.some((s) => /is ready in dev mode/.test(s.text)), `the watcher saw the walk's notifications: ${JSON.stringify(seen)}`);
    assert.deepEqual(seen.filter((s) => s.error || /failed|error/i.test(s.text)), [], 'no error notification');
    // The notification centre holds what the toasts showed and hid.
    await runExactly(page, 'Notifications: Show Notifications');
    const center = page.locator('.notifications-center');
    await center.waitFor({ state: 'visible', timeout: 30_000 });
    await page.screenshot({ path: path.join(shots, 'walk-11-notifications.png') });
    assert.equal(await center.locator('.notification-list-item .codicon-error, .notification-list-item .codicon-notifications-error').count(), 0, 'no error in the notification centre');
    const log = pymlLogLines(/** @type {import('./lib/workbench.mjs').Workbench} */ (wb).profileDir);
    assert.ok(log.some((l) => l.includes(MODEL)), 'the PyML log of this window was found and tells of the walk');
    const errors = log.filter((l) => /\[error\]/.test(l));
    assert.deepEqual(errors, [], 'the PyML log has no error line');
  });
});
