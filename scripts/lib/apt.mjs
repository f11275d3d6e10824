// Debian packages: which are missing, and installing them (as root, one `apt-get update` per run).
import fs from 'node:fs';
import path from 'node:path';
import { SetupError, info } from './log.mjs';
import { logsDir } from './paths.mjs';
import { mustRun, run, which } from './proc.mjs';

/** apt runs one operation at a time: steps that run side by side queue here (and on dpkg's lock). */
let queue = Promise.resolve();
let updated = false;

/**
 * @template T
 * @param {() => Promise<T>} fn
 * @returns {Promise<T>}
 */
function serialized(fn) {
  const result = queue.then(fn);
  queue = result.then(() => undefined, () => undefined);
  return result;
}

/** True on Debian-like systems with apt-get and dpkg-query. */
export function hasApt() {
  return fs.existsSync('/etc/debian_version') && which('apt-get') !== undefined && which('dpkg-query') !== undefined;
}

export function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * The packages of `names` that dpkg does not report as installed.
 * @param {readonly string[]} names
 * @returns {Promise<string[]>}
 */
export async function missingPackages(names) {
  if (!hasApt()) return [...names];
  // Exits 1 when a package is unknown to dpkg; the output still lists the known ones.
  const result = await run('dpkg-query', ['-W', '-f=${Package} ${db:Status-Abbrev}\n', ...names]);
  const installed = new Set(
    result.stdout.split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter(([, status]) => status === 'ii')
      .map(([name]) => (name ?? '').replace(/:.*$/, '')),
  );
  return names.filter((n) => !installed.has(n));
}

/**
 * Installs whatever of `names` is missing, or explains what to install by hand.
 * Recommended packages are left out unless asked for (python3-pandas alone recommends ~250 MB).
 * @param {readonly string[]} names
 * @param {string} purpose  what the packages are for, for messages
 * @param {{ recommends?: boolean }} [opts]
 * @returns {Promise<string[]>} the packages that were installed now
 */
export async function ensurePackages(names, purpose, opts = {}) {
  const missing = await missingPackages(names);
  if (missing.length === 0) {
    info(`apt packages for ${purpose} already installed`);
    return [];
  }
  const byHand = `sudo apt-get install -y ${missing.join(' ')}`;
  if (!hasApt()) {
    throw new SetupError(`${purpose} needs: ${missing.join(', ')}. This is not a Debian system with apt-get: install the equivalent by hand.`);
  }
  if (!isRoot()) {
    throw new SetupError(`${purpose} needs Debian packages that are not installed: ${missing.join(' ')}.\nRun as root, or install them by hand:  ${byHand}`);
  }
  return serialized(async () => {
    fs.mkdirSync(logsDir, { recursive: true });
    const logFile = path.join(logsDir, 'apt.log');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const lockWait = ['-o', 'DPkg::Lock::Timeout=600'];
    if (!updated) {
      info('apt-get update');
      await mustRun('apt-get', [...lockWait, 'update'], { env, logFile, heartbeatMs: 15000, timeoutMs: 10 * 60_000 });
      updated = true;
    }
    const todo = await missingPackages(missing); // another step may have installed some meanwhile
    if (todo.length === 0) return [];
    const flags = opts.recommends ? [] : ['--no-install-recommends'];
    info(`apt-get install -y ${flags.join(' ')}${flags.length ? ' ' : ''}${todo.join(' ')}`);
    await mustRun('apt-get', [...lockWait, 'install', '-y', ...flags, ...todo], {
      env, logFile, heartbeatMs: 15000, timeoutMs: 20 * 60_000,
      show: (line) => /^(Need to get|\d+ upgraded)/.test(line),
    });
    const still = await missingPackages(todo);
    if (still.length) throw new SetupError(`apt-get install finished but these are still not installed: ${still.join(' ')} (see ${logFile})`);
    return todo;
  });
}
