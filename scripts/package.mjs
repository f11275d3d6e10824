#!/usr/bin/env node
// npm run package: checks what vsce would pack, packs .cache/pyml-vscode.vsix and enforces the size budget.
import fs from 'node:fs';
import path from 'node:path';
import { SetupError, formatDuration, heading, info, reportFatal } from './lib/log.mjs';
import { repoRoot, vsixPath } from './lib/paths.mjs';
import { mustRun } from './lib/proc.mjs';

const BUDGET_MB = 15;
/** Folders that must never be in the .vsix (sources, tests, dependencies: the bundles are self-contained). */
const FORBIDDEN = ['src/', 'test/', 'node_modules/', '.cache/', 'out/', 'scripts/', 'test-results/', 'bench/'];
/** TypeScript sources anywhere (declaration files aside). */
const isTsSource = (/** @type {string} */ f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts');

const vsce = path.join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce');

/** Flags that keep vsce from prompting (no stdin in CI) when the manifest lacks optional things. */
function nonInteractiveFlags() {
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  /** @type {string[]} */
  const flags = [];
  // The README's relative links (docs/, runtime/README.md, packed too) stay relative: they open inside the
  // .vsix, in the extension's page in VS Code, whatever the repository's public address.
  flags.push('--no-rewrite-relative-links');
  if (!manifest.repository) flags.push('--allow-missing-repository');
  if (!['LICENSE', 'LICENSE.md', 'LICENSE.txt'].some((f) => fs.existsSync(path.join(repoRoot, f)))) flags.push('--skip-license');
  return flags;
}

async function main() {
  const started = Date.now();
  heading('package');
  fs.mkdirSync(path.dirname(vsixPath), { recursive: true });
  fs.rmSync(vsixPath, { force: true });
  // vsce runs `vscode:prepublish` (npm run build) first.
  await mustRun(process.execPath, [vsce, 'package', '--no-dependencies', ...nonInteractiveFlags(), '--out', vsixPath], {
    cwd: repoRoot, output: 'inherit', timeoutMs: 15 * 60_000,
  });
  // Listed after packaging, so the bundles built by prepublish are counted.
  const ls = await mustRun(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: repoRoot, timeoutMs: 120_000 });
  const files = ls.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const bad = files.filter((f) => FORBIDDEN.some((dir) => f.startsWith(dir)) || isTsSource(f));
  if (bad.length) {
    fs.rmSync(vsixPath, { force: true });
    throw new SetupError(`vsce would pack files that do not belong in the .vsix (fix .vscodeignore):\n  ${bad.slice(0, 20).join('\n  ')}`
      + `${bad.length > 20 ? `\n  ... and ${bad.length - 20} more` : ''}`);
  }
  info(`vsce ls: ${files.length} files, no .ts sources, none under ${FORBIDDEN.join(' ')}`);
  const mb = fs.statSync(vsixPath).size / (1024 * 1024);
  console.log(`${path.relative(repoRoot, vsixPath)}: ${mb.toFixed(2)} MB (budget ${BUDGET_MB} MB), ${files.length} files (vsce ls), `
    + `packaged in ${formatDuration(Date.now() - started)}`);
  if (mb > BUDGET_MB) {
    fs.rmSync(vsixPath, { force: true });
    throw new SetupError(`the .vsix is ${mb.toFixed(2)} MB, over the ${BUDGET_MB} MB budget`);
  }
}

main().catch(reportFatal);
