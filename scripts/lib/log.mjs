// Progress output shared by the scripts: one line per step, with elapsed times.
// Lines printed inside a step carry the step's name, so steps that run side by side stay readable.
import { AsyncLocalStorage } from 'node:async_hooks';

/** @type {AsyncLocalStorage<string>} */
const currentStep = new AsyncLocalStorage();

function prefix() {
  const name = currentStep.getStore();
  return name ? `    [${name}] ` : '    ';
}

/** An error whose message already says what to do; printed without a stack trace. */
export class SetupError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'SetupError';
  }
}

/** @param {number} ms */
export function formatDuration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 120) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

/** @param {string} message */
export function info(message) {
  console.log(`${prefix()}${message}`);
}

/** @param {string} message */
export function warn(message) {
  console.log(`${prefix()}warning: ${message}`);
}

/** @param {string} title */
export function heading(title) {
  console.log(`\n=== ${title} ===`);
}

/**
 * Runs `fn` as a named step: prints its name, then "done" with the time taken, or the failure.
 * @template T
 * @param {string} name
 * @param {() => Promise<T>} fn
 * @returns {Promise<T>}
 */
export async function step(name, fn) {
  console.log(`==> ${name}`);
  const started = Date.now();
  try {
    const result = await currentStep.run(name, fn);
    console.log(`<== ${name}: done in ${formatDuration(Date.now() - started)}`);
    return result;
  } catch (err) {
    console.log(`<== ${name}: FAILED after ${formatDuration(Date.now() - started)}`);
    throw err;
  }
}

/**
 * Prints the error for the user and sets a failing exit code. SetupErrors carry their own advice.
 * @param {unknown} err
 */
export function reportFatal(err) {
  if (err instanceof SetupError) {
    console.error(`\nerror: ${err.message}`);
  } else {
    console.error('\nerror:', err instanceof Error ? (err.stack ?? err.message) : err);
  }
  process.exitCode = 1;
}
