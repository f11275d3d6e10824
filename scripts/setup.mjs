#!/usr/bin/env node
// npm run setup [-- --only docker,image,python,chromium,code-server,loadgen]
// Provisions what the tests and `npm start` need, each step idempotent and quick on a second run.
import { pathToFileURL } from 'node:url';
import { ensureChromium } from './lib/browser.mjs';
import { ensureCodeServer } from './lib/codeserver.mjs';
import { ensureDocker } from './lib/docker.mjs';
import { ensureBaseImages } from './lib/image.mjs';
import { ensureLoadGenerator } from './lib/loadgen.mjs';
import { SetupError, formatDuration, heading, reportFatal, step } from './lib/log.mjs';
import { ensureHostPython } from './lib/python.mjs';

/** The steps, in the order they run. `image` needs the engine found by `docker`. */
export const STEPS = Object.freeze(['docker', 'image', 'python', 'chromium', 'code-server', 'loadgen']);
/** What `npm run setup` alone provisions: everything the tests and `npm start` need (`loadgen` is the serving bench's). */
const DEFAULT_STEPS = Object.freeze(STEPS.filter((s) => s !== 'loadgen'));

/**
 * @typedef {object} SetupResult
 * @property {import('./lib/docker.mjs').DockerEngine} [docker]
 * @property {string} [chromium]
 */

/**
 * Runs the selected provisioning steps (all by default).
 * @param {readonly string[]} [only]
 * @returns {Promise<SetupResult>}
 */
export async function setup(only = DEFAULT_STEPS) {
  const unknown = only.filter((s) => !STEPS.includes(s));
  if (unknown.length) throw new SetupError(`unknown setup step(s): ${unknown.join(', ')} (known: ${STEPS.join(', ')})`);
  heading(`setup: ${only.join(', ')}`);
  const started = Date.now();
  /** @type {SetupResult} */
  const result = {};
  const wants = (/** @type {string} */ s) => only.includes(s);
  if (wants('docker') || wants('image')) result.docker = await step('docker', ensureDocker);
  const engine = result.docker;
  // The base image (debootstrap, CPU and disk) and the rest (downloads, compiles) run side by side;
  // apt operations among them queue one after another.
  const settled = await Promise.allSettled([
    wants('image') && engine ? step('image', () => ensureBaseImages(engine)) : undefined,
    (async () => {
      if (wants('python')) await step('python', ensureHostPython);
      if (wants('chromium')) result.chromium = await step('chromium', ensureChromium);
      if (wants('code-server')) await step('code-server', ensureCodeServer);
      if (wants('loadgen')) await step('loadgen', ensureLoadGenerator);
    })(),
  ]);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  console.log(`setup finished in ${formatDuration(Date.now() - started)}`);
  return result;
}

/** @param {string[]} argv */
function parseArgs(argv) {
  /** @type {string[]} */
  const only = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--only') only.push(...(argv[++i] ?? '').split(','));
    else if (arg.startsWith('--only=')) only.push(...arg.slice('--only='.length).split(','));
    else if (arg === '-h' || arg === '--help') {
      console.log(`usage: node scripts/setup.mjs [--only ${STEPS.join(',')}]`);
      process.exit(0);
    } else throw new SetupError(`unknown argument ${arg}`);
  }
  return only.filter(Boolean);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const only = parseArgs(process.argv.slice(2));
    await setup(only.length ? only : DEFAULT_STEPS);
  } catch (err) {
    reportFatal(err);
  }
}
