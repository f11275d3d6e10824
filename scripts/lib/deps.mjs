// The project's own npm dependencies: `npm test`, `npm start` and `npm run bench` install them first
// (`npm ci`) when node_modules is missing or older than package-lock.json, so a fresh clone needs no
// separate `npm install`.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SetupError, formatDuration, info, reportFatal } from './log.mjs';
import { repoRoot } from './paths.mjs';
import { run } from './proc.mjs';

const lockFile = path.join(repoRoot, 'package-lock.json');
const modulesDir = path.join(repoRoot, 'node_modules');
/** Written after a successful `npm ci`: the hash of the package-lock.json it installed. */
const stampFile = path.join(modulesDir, '.pyml-lock-hash');
/** npm's own record of what it installed. */
const hiddenLock = path.join(modulesDir, '.package-lock.json');

function lockHash() {
  return crypto.createHash('sha256').update(fs.readFileSync(lockFile)).digest('hex');
}

/**
 * Why node_modules must be (re)installed, or '' when it matches package-lock.json.
 * @returns {string}
 */
export function dependencyState() {
  if (!fs.existsSync(hiddenLock)) return 'node_modules is missing';
  const hash = lockHash();
  if (fs.existsSync(stampFile)) {
    return fs.readFileSync(stampFile, 'utf8').trim() === hash ? '' : 'package-lock.json changed since the last install';
  }
  // Installed by hand (`npm install` / `npm ci`): trust it when npm wrote its record after the lock changed.
  if (fs.statSync(hiddenLock).mtimeMs >= fs.statSync(lockFile).mtimeMs) {
    fs.writeFileSync(stampFile, `${hash}\n`);
    return '';
  }
  return 'package-lock.json is newer than node_modules';
}

/** Runs `npm ci` (with its progress) when node_modules is missing or out of date. */
export async function ensureNodeModules() {
  const why = dependencyState();
  if (!why) return;
  info(`${why}: npm ci`);
  const started = Date.now();
  const hash = lockHash();
  const r = await run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: repoRoot, output: 'inherit', timeoutMs: 15 * 60_000 });
  if (r.code !== 0) {
    throw new SetupError(`npm ci failed (exit ${r.code}${r.timedOut ? ', timed out' : ''}). The npm registry must be reachable; `
      + 'run `npm ci` by hand to see the whole error.');
  }
  fs.writeFileSync(stampFile, `${hash}\n`);
  info(`npm dependencies installed in ${formatDuration(Date.now() - started)}`);
}

// `node scripts/lib/deps.mjs`: the same step alone (.ci/run runs it beside the provisioning).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) ensureNodeModules().catch(reportFatal);
