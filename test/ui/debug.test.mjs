// UI test: PyML: Debug Model in code-server (packaged .vsix) driven in Debian's Chromium, real Docker.
// A breakpoint set in model.py (Debug: Toggle Breakpoint on the line); Debug Model from the palette; a row sent from the test panel;
// the editor pauses on the breakpoint's line (highlighted), the Variables view shows `df` as a
// DataFrame, the panel says it is paused in the debugger; screenshot; Continue; the panel shows the
// answer; stopping the session removes the container. Screenshots go to test-results/ui/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'mocha';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../scripts/lib/paths.mjs';
import { closeWorkbench, goToLine, openWorkbench, quickOpen, removeModelContainers, removeModelImages, requireDocker, ROW, runFromPalette, shots } from './lib/workbench.mjs';

const FIXTURE = path.join(repoRoot, 'test', 'fixtures', 'identity-model');
const MODEL_NAME = `ui-debug-${process.pid}`;
const MODEL = `"""Debug fixture: doubles x."""
import pandas as pd
from pyml import DataFrameModel


class IdentityModel(DataFrameModel):
    def __init__(self) -> None:
        self.factor = 2.0

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        doubled = df["x"] * self.factor
        return pd.DataFrame({"x": doubled, "label": df["label"]})
`;
const PREDICT_LINE = 11;

/** The panel's webview content. @param {import('playwright-core').Page} page */
function webview(page) {
  return page.frameLocator('iframe.webview.ready[src*="extensionId=pyml.pyml-vscode"]').frameLocator('iframe#active-frame');
}

function containersOfModel() {
  const r = spawnSync('docker', ['ps', '-aq', '--filter', `label=dev.pyml.name=${MODEL_NAME}`], { encoding: 'utf8' });
  return r.stdout.trim().split('\n').filter(Boolean);
}

describe('Debug Model (packaged extension in code-server, real Docker)', function () {
  this.timeout(10 * 60_000);
  /** @type {import('./lib/workbench.mjs').Workbench | undefined} */
  let wb;
  /** @type {import('playwright-core').Page} */
  let page;

  before(async function () {
    this.timeout(8 * 60_000);
    requireDocker();
    wb = await openWorkbench('ui-debug', FIXTURE, (ws) => {
      fs.writeFileSync(path.join(ws, 'model.py'), MODEL);
      const manifest = path.join(ws, 'pyml.yaml');
      fs.writeFileSync(manifest, fs.readFileSync(manifest, 'utf8').replace(/^name: .*$/m, `name: ${MODEL_NAME}`));
    });
    page = wb.page;
  });

  after(async function () {
    this.timeout(2 * 60_000);
    await closeWorkbench(wb);
    removeModelContainers(MODEL_NAME);
    removeModelImages(MODEL_NAME);
  });

  it('pauses at a breakpoint in predict() for a row sent from the panel, shows the DataFrame, answers after Continue', async function () {
    this.timeout(8 * 60_000);
    await quickOpen(page, 'model.py');
    await page.locator('.tab.active', { hasText: 'model.py' }).waitFor({ timeout: 30_000 });
    await goToLine(page, PREDICT_LINE);
    await runFromPalette(page, 'Debug: Toggle Breakpoint');
    await page.locator('.codicon-debug-breakpoint').first().waitFor({ state: 'attached', timeout: 15_000 });

    await runFromPalette(page, 'PyML: Debug Model');
    const picked = await page.locator(ROW).first().waitFor({ state: 'visible', timeout: 5_000 }).then(() => true, () => false);
    if (picked) await page.keyboard.press('Enter');
    // The debug toolbar appears once the session is attached.
    await page.locator('.debug-toolbar').waitFor({ state: 'visible', timeout: 6 * 60_000 });

    await runFromPalette(page, 'PyML: Open Test Prediction Panel');
    const view = webview(page);
    await view.locator('[data-testid="send"]').waitFor({ timeout: 60_000 });
    const select = view.locator('[data-testid="target-select"]');
    await view.locator('[data-testid="target-select"] vscode-option', { hasText: MODEL_NAME }).first().waitFor({ state: 'attached', timeout: 120_000 });
    await select.evaluate((el, name) => {
      const option = [...el.querySelectorAll('vscode-option')].find((o) => (o.textContent ?? '').includes(name));
      /** @type {any} */ (el).value = option?.getAttribute('value') ?? '';
      el.dispatchEvent(new window.Event('change'));
    }, MODEL_NAME);
    await view.locator('[data-testid="connection"] strong', { hasText: MODEL_NAME }).waitFor({ timeout: 60_000 });
    const cell = (/** @type {string} */ col) => view.locator(`[data-testid="grid"] tr[data-row="0"] input[data-col="${col}"]`);
    await cell('x').fill('1.5');
    await cell('label').fill('dbg');
    await view.locator('[data-testid="send"]').click();

    // Paused: the editor highlights the line, the Variables view shows df, the panel says so.
    await page.locator('.debug-top-stack-frame-line').first().waitFor({ state: 'attached', timeout: 120_000 });
    await page.locator('.statusbar-item', { hasText: `Ln ${PREDICT_LINE},` }).first().waitFor({ timeout: 30_000 });
    const variables = page.locator('.debug-variables');
    await variables.locator('.monaco-list-row', { hasText: 'df' }).first().waitFor({ timeout: 60_000 });
    // df's value is the DataFrame as pandas prints it: its columns and the row that was sent.
    assert.match(await variables.innerText(), /df =\s+x\s+label\s+0\s+1\.5\s+dbg/);
    await view.locator('[data-testid="notices"]', { hasText: 'Paused in the debugger' }).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(shots, 'debug-paused.png') });

    // Continue: the answer arrives in the panel.
    await page.locator('.debug-toolbar .codicon-debug-continue').click();
    await view.locator('[data-testid="result-status"][data-state="ok"]').waitFor({ timeout: 60_000 });
    const row = await view.locator('[data-testid="result-table"] .vt-row:not([hidden])').first().innerText();
    assert.match(row, /\b3\b/, `the answer row should hold x = 3: ${row}`);
    assert.match(row, /dbg/);
    await page.screenshot({ path: path.join(shots, 'debug-answer.png') });

    // Stopping the session removes the container.
    // An attached session shows Disconnect where a launched one shows Stop.
    await page.locator('.debug-toolbar .codicon-debug-disconnect, .debug-toolbar .codicon-debug-stop').first().click();
    const deadline = Date.now() + 60_000;
    while (containersOfModel().length > 0) {
      if (Date.now() > deadline) throw new Error('the debug container is still there after stopping the session');
      await new Promise((r) => setTimeout(r, 200));
    }
  });
});
