// Child processes: run to completion (captured, inherited or logged to a file), find executables.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SetupError, formatDuration, info } from './log.mjs';

/**
 * @typedef {object} RunOptions
 * @property {string} [cwd]
 * @property {NodeJS.ProcessEnv} [env]            full environment (default: process.env)
 * @property {'pipe' | 'inherit'} [output]        pipe = capture; inherit = stream to our stdout/stderr
 * @property {string} [logFile]                   also append all output to this file (output is then captured)
 * @property {(line: string) => boolean} [show]   with logFile: which lines to echo while running
 * @property {number} [heartbeatMs]               print "still running" this often (0 = never)
 * @property {number} [timeoutMs]                 kill the process after this long
 * @property {string | Buffer} [input]            written to stdin (stdin is otherwise closed)
 */

/**
 * @typedef {object} RunResult
 * @property {number} code      exit code (-1 when killed by a signal or timeout)
 * @property {string} stdout
 * @property {string} stderr
 * @property {boolean} timedOut
 */

/**
 * Runs a command to completion. Never throws for a non-zero exit: look at `code`.
 * @param {string} cmd
 * @param {string[]} args
 * @param {RunOptions} [opts]
 * @returns {Promise<RunResult>}
 */
export function run(cmd, args, opts = {}) {
  const output = opts.logFile ? 'pipe' : (opts.output ?? 'pipe');
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', output, output],
    });
    let stdout = '';
    let stderr = '';
    let pending = '';
    const log = opts.logFile ? fs.openSync(opts.logFile, 'a') : undefined;
    if (log !== undefined) fs.writeSync(log, `\n$ ${cmd} ${args.join(' ')}\n`);
    /** @param {Buffer} chunk */
    const onChunk = (chunk) => {
      if (log !== undefined) fs.writeSync(log, chunk);
      if (!opts.show) return;
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (opts.show(line)) info(line);
    };
    child.stdout?.on('data', (c) => { stdout += c; onChunk(c); });
    child.stderr?.on('data', (c) => { stderr += c; onChunk(c); });
    if (opts.input !== undefined && child.stdin) child.stdin.end(opts.input);
    const heartbeat = opts.heartbeatMs
      ? setInterval(() => info(`... ${path.basename(cmd)} still running (${formatDuration(Date.now() - started)})`), opts.heartbeatMs)
      : undefined;
    let timedOut = false;
    const timer = opts.timeoutMs
      ? setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, opts.timeoutMs)
      : undefined;
    const finish = (/** @type {number} */ code) => {
      if (heartbeat) clearInterval(heartbeat);
      if (timer) clearTimeout(timer);
      if (log !== undefined) fs.closeSync(log);
      resolve({ code, stdout, stderr, timedOut });
    };
    child.on('error', (err) => { stderr += String(err.message); finish(-1); });
    child.on('close', (code) => finish(code ?? -1));
  });
}

/**
 * Runs a command and throws (with the end of its output) when it fails.
 * @param {string} cmd
 * @param {string[]} args
 * @param {RunOptions} [opts]
 * @returns {Promise<RunResult>}
 */
export async function mustRun(cmd, args, opts = {}) {
  const result = await run(cmd, args, opts);
  if (result.code !== 0) {
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-15).join('\n');
    const where = opts.logFile ? `\n(full output: ${opts.logFile})` : '';
    const why = result.timedOut ? `timed out after ${formatDuration(opts.timeoutMs ?? 0)}` : `exited with ${result.code}`;
    throw new SetupError(`\`${cmd} ${args.join(' ')}\` ${why}${tail ? `:\n${tail}` : ''}${where}`);
  }
  return result;
}

/**
 * The absolute path of an executable found on PATH, or undefined.
 * @param {string} name
 * @returns {string | undefined}
 */
export function which(name) {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** @param {string} file */
function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Polls `probe` until it returns a truthy value or the deadline passes.
 * @template T
 * @param {() => Promise<T | undefined | false | null> | T | undefined | false | null} probe
 * @param {{ timeoutMs: number, intervalMs?: number, what: string }} opts
 * @returns {Promise<T>}
 */
export async function waitFor(probe, opts) {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new SetupError(`timed out after ${formatDuration(opts.timeoutMs)} waiting for ${opts.what}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}
