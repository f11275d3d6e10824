#!/usr/bin/env node
// npm run screenshots [-- --no-run]
// Refreshes the README's pictures (docs/images/) from the screenshots the UI tests take in test-results/ui/:
// runs the ui layer first (unless --no-run), then copies each picture the README shows. The pictures are
// the product as the UI tests saw it, so they stay true as the product changes.
import fs from 'node:fs';
import path from 'node:path';
import { SetupError, heading, info, reportFatal } from './lib/log.mjs';
import { repoRoot, resultsDir } from './lib/paths.mjs';
import { mustRun } from './lib/proc.mjs';

/** README picture (docs/images/NAME) <- the UI test's screenshot (test-results/ui/NAME). */
export const PICTURES = /** @type {const} */ ([
  ['new-model.png', 'walk-01-new-model.png'],
  ['diagnostic.png', 'walk-03-quick-fix.png'],
  ['build.png', 'build-progress.png'],
  ['panel-answer.png', 'walk-05-answer.png'],
  ['panel-traceback.png', 'panel-vscode-traceback.png'],
  ['batch.png', 'walk-09-batch-preview.png'],
]);

async function main() {
  const run = !process.argv.includes('--no-run');
  if (run) {
    heading('ui tests (they take the screenshots)');
    await mustRun('npm', ['test', '--', '--layer', 'ui'], { cwd: repoRoot, output: 'inherit', timeoutMs: 60 * 60_000 });
  }
  const from = path.join(resultsDir, 'ui');
  const to = path.join(repoRoot, 'docs', 'images');
  fs.mkdirSync(to, { recursive: true });
  const missing = PICTURES.filter(([, shot]) => !fs.existsSync(path.join(from, shot))).map(([, shot]) => shot);
  if (missing.length) throw new SetupError(`the UI tests took no ${missing.join(', ')} in ${path.relative(repoRoot, from)}: run without --no-run`);
  for (const [picture, shot] of PICTURES) {
    fs.copyFileSync(path.join(from, shot), path.join(to, picture));
    info(`docs/images/${picture} <- ${path.relative(repoRoot, path.join(from, shot))}`);
  }
}

main().catch(reportFatal);
