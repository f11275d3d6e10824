// UI test (issue 16, defect 6): PyML: Build Image as a user sees it, in code-server (packaged .vsix) driven
// in Debian's Chromium, against a real Docker engine. The progress notification names each step's purpose
// in words ("Installing requirements (step 8 of 15)"), never the Dockerfile's shell text; the success
// notification offers Show Log, which opens the build's own log with its steps. Then (defect 9) a failed
// pip install puts a problem on its requirements.txt line, which goes as soon as that line is deleted.
// The model's requirements.txt carries a line unique to the run (a comment), so the steps from it on are
// not served from Docker's cache and the progress is on screen long enough to be seen.
// Screenshots: test-results/ui/build-progress.png (the README's picture), build-log.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { repoRoot } from '../../scripts/lib/paths.mjs';
import { closeWorkbench, goToLine, openWorkbench, quickOpen, removeModelImages, requireDocker, runFromPalette, shots, showProblems } from './lib/workbench.mjs';

const FIXTURE = path.join(repoRoot, 'test', 'fixtures', 'panel', 'panel-df');
// A name of this test's own (images on the shared engine are named after it).
const MODEL = 'buildlog-ui';
const FOLDER = 'scorer';

/** @param {import('playwright-core').Page} page @param {string | RegExp} text */
function toast(page, text) {
  return page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
}

describe('Build Image: progress in words and Show Log (packaged extension in code-server, real Docker)', function () {
  this.timeout(12 * 60_000);
  /** @type {import('./lib/workbench.mjs').Workbench | undefined} */
  let wb;

  before(async function () {
    this.timeout(4 * 60_000);
    requireDocker();
    removeModelImages(MODEL);
    wb = await openWorkbench('ui-buildlog', FIXTURE, (workspace) => {
      // The workspace holds one model folder, scorer/ (the panel's DataFrame model moved into it).
      const folder = path.join(workspace, FOLDER);
      fs.mkdirSync(folder);
      for (const entry of fs.readdirSync(workspace)) {
        if (entry !== '.vscode' && entry !== FOLDER) fs.renameSync(path.join(workspace, entry), path.join(folder, entry));
      }
      const manifest = path.join(folder, 'pyml.yaml');
      fs.writeFileSync(manifest, fs.readFileSync(manifest, 'utf8').replace(/^name: .*$/m, `name: ${MODEL}`));
      // numpy is in the base image: satisfied without pip or an index; the comment makes the layer new.
      fs.writeFileSync(path.join(folder, 'requirements.txt'), `numpy\n# ${MODEL} test run ${Date.now()}\n`);
    }, { settings: { 'git.openRepositoryInParentFolders': 'never' } }); // the workspace sits inside the clone
  });

  after(async function () {
    this.timeout(2 * 60_000);
    await closeWorkbench(wb);
    removeModelImages(MODEL);
  });

  it('shows each step by its purpose while building, then offers Show Log, which opens the build log', async function () {
    const page = /** @type {import('./lib/workbench.mjs').Workbench} */ (wb).page;
    try {
      await quickOpen(page, `${FOLDER}/model.py`);
      await page.locator('.tab.active', { hasText: 'model.py' }).waitFor({ state: 'visible', timeout: 30_000 });
      await runFromPalette(page, 'PyML: Build Image');

      // A step that is not in Docker's cache: on screen for a moment at least.
      const step = toast(page, /(Installing requirements|Copying the PyML runtime|Setting how the model starts|Copying the model code|Labelling the image) \(step \d+ of \d+\)/);
      await step.waitFor({ state: 'visible', timeout: 5 * 60_000 });
      await page.screenshot({ path: path.join(shots, 'build-progress.png') });
      const progress = (await step.innerText().catch(() => '')).replace(/\s+/g, ' ');
      if (progress) {
        assert.match(progress, new RegExp(`PyML: Building ${FOLDER}`));
        assert.doesNotMatch(progress, /\b(RUN|COPY|FROM|ENV|LABEL|WORKDIR|USER|CMD|ENTRYPOINT) |pip install|satisfied\.py/, `progress shows shell text: ${progress}`);
      }

      const done = toast(page, /PyML: built pyml\//);
      await done.waitFor({ state: 'visible', timeout: 8 * 60_000 });
      const doneText = (await done.innerText()).replace(/\s+/g, ' ');
      assert.match(doneText, new RegExp(`PyML: built pyml/${MODEL}:0\\.1\\.0 \\(\\d+ of \\d+ steps from the cache\\)`));
      const showLog = done.locator('.monaco-button', { hasText: 'Show Log' });
      await showLog.waitFor({ state: 'visible', timeout: 10_000 });
      await showLog.click();

      await page.locator('.tab.active', { hasText: `${FOLDER} build.log` }).waitFor({ state: 'visible', timeout: 60_000 });
      const lines = page.locator('.editor-instance .monaco-editor .view-lines').first();
      await lines.filter({ hasText: 'succeeded' }).waitFor({ state: 'visible', timeout: 30_000 });
      const log = (await lines.innerText()).replace(/\u00a0/g, ' ');
      assert.match(log, new RegExp(`Build of pyml/${MODEL}:0\\.1\\.0 from .*${FOLDER}, started .*: succeeded`));
      assert.match(log, /Step 1\/\d+ : FROM /);
      assert.match(log, /Step \d+\/\d+ : COPY model\/requirements\.txt/);
      await page.screenshot({ path: path.join(shots, 'build-log.png') });
    } catch (err) {
      await page.screenshot({ path: path.join(shots, 'build-failure.png') }).catch(() => undefined);
      throw err;
    }
  });

  it('puts a requirement pip cannot install on its requirements.txt line, and the problem goes when that line is deleted', async function () {
    const page = /** @type {import('./lib/workbench.mjs').Workbench} */ (wb).page;
    const workspace = /** @type {import('./lib/workbench.mjs').Workbench} */ (wb).workspace;
    const bad = 'nonexistent-pyml-ui-pkg==1.0';
    fs.writeFileSync(path.join(workspace, FOLDER, 'requirements.txt'), `numpy\n${bad}\n`);
    try {
      await quickOpen(page, `${FOLDER}/requirements.txt`);
      await page.locator('.tab.active', { hasText: 'requirements.txt' }).waitFor({ state: 'visible', timeout: 30_000 });
      await page.locator('.editor-instance .view-lines', { hasText: bad }).first().waitFor({ state: 'visible', timeout: 30_000 });
      await runFromPalette(page, 'PyML: Build Image');
      // pip finds no index (no network to PyPI here): the build fails on that line.
      const rows = await showProblems(page);
      const row = rows.filter({ hasText: 'PYML500' }).first();
      await row.waitFor({ state: 'visible', timeout: 8 * 60_000 });
      const text = (await row.innerText()).replace(/\s+/g, ' ');
      assert.match(text, /\[Ln 2, Col 1\]/, text);
      assert.match(text, /nonexistent-pyml-ui-pkg==1\.0/, text);
      await page.screenshot({ path: path.join(shots, 'build-failed-requirement.png') });

      // Deleting the line takes its problem away at once, without a new build.
      await goToLine(page, 2);
      await page.keyboard.press('Control+Shift+K');
      await page.locator('.editor-instance .view-lines', { hasText: bad }).first().waitFor({ state: 'detached', timeout: 30_000 });
      await row.waitFor({ state: 'detached', timeout: 30_000 });
      await page.screenshot({ path: path.join(shots, 'build-problem-line-deleted.png') });
    } catch (err) {
      await page.screenshot({ path: path.join(shots, 'build-failure.png') }).catch(() => undefined);
      throw err;
    }
  });
});
