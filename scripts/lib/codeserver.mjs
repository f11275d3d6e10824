// code-server (VS Code in a browser, real Node extension host): install into .cache, start, stop.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { ensurePackages, hasApt } from './apt.mjs';
import { SetupError, info, warn } from './log.mjs';
import { cacheDir, logsDir } from './paths.mjs';
import { mustRun, run, waitFor, which } from './proc.mjs';

export const CODE_SERVER_VERSION = '4.100.3';
/** Bump when the install recipe below changes, so existing installs are redone. */
const RECIPE = 1;

const installDir = path.join(cacheDir, 'code-server');
const packageDir = path.join(installDir, 'node_modules', 'code-server');
const vscodeDir = path.join(packageDir, 'lib', 'vscode');
const markerFile = path.join(installDir, 'installed.json');

/** The script that starts code-server (run with our node). */
export const codeServerEntry = path.join(packageDir, 'out', 'node', 'entry.js');

function markerMatches() {
  try {
    const marker = JSON.parse(fs.readFileSync(markerFile, 'utf8'));
    return marker.version === CODE_SERVER_VERSION && marker.recipe === RECIPE && fs.existsSync(codeServerEntry);
  } catch {
    return false;
  }
}

/**
 * Installs code-server into .cache/code-server from npm, building its native parts by hand
 * (its install scripts would download binaries, which these machines cannot).
 */
export async function ensureCodeServer() {
  if (markerMatches()) {
    info(`code-server ${CODE_SERVER_VERSION} is installed in .cache/code-server`);
    return;
  }
  if (hasApt()) await ensurePackages(['libkrb5-dev', 'ripgrep', 'g++', 'make', 'python3'], 'code-server\'s native modules');
  const rg = which('rg');
  if (!rg) throw new SetupError('code-server needs ripgrep (`rg`) on PATH: install it (apt-get install ripgrep, brew install ripgrep).');
  fs.rmSync(markerFile, { force: true });
  fs.mkdirSync(installDir, { recursive: true });
  fs.mkdirSync(logsDir, { recursive: true });
  fs.writeFileSync(path.join(installDir, 'package.json'), `${JSON.stringify({ name: 'pyml-code-server', private: true }, null, 2)}\n`);
  const logFile = path.join(logsDir, 'code-server-install.log');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const quiet = ['--no-audit', '--no-fund', '--loglevel=error'];
  /** @param {string} what @param {string} cwd @param {string[]} args */
  const npmStep = async (what, cwd, args) => {
    info(what);
    await mustRun(npm, [...args, ...quiet], { cwd, logFile, heartbeatMs: 20_000, timeoutMs: 20 * 60_000 });
  };
  await npmStep(`npm install code-server@${CODE_SERVER_VERSION} (no install scripts; log: .cache/logs/code-server-install.log)`,
    installDir, ['install', '--ignore-scripts', `code-server@${CODE_SERVER_VERSION}`]);
  await npmStep('npm install in lib/vscode (production dependencies)', vscodeDir, ['install', '--omit=dev', '--ignore-scripts']);
  for (const mod of ['kerberos', 'node-pty', '@parcel/watcher', 'native-watchdog', '@vscode/spdlog']) {
    info(`npm rebuild ${mod}`);
    const r = await run(npm, ['rebuild', mod, ...quiet], { cwd: vscodeDir, logFile, heartbeatMs: 20_000, timeoutMs: 10 * 60_000 });
    // node-pty's post-install step fails after pty.node is built; judged by the file below instead.
    if (r.code !== 0 && mod !== 'node-pty') warn(`npm rebuild ${mod} exited with ${r.code} (see ${logFile})`);
  }
  const ptyNode = path.join(vscodeDir, 'node_modules', 'node-pty', 'build', 'Release', 'pty.node');
  if (!fs.existsSync(ptyNode)) throw new SetupError(`node-pty did not build (${ptyNode} missing); see ${logFile}. A C++ toolchain (g++, make, python3) is needed.`);
  const rgDir = path.join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin');
  fs.mkdirSync(rgDir, { recursive: true });
  forceSymlink(rg, path.join(rgDir, 'rg'));
  forceSymlink('node_modules', path.join(vscodeDir, 'node_modules.asar'));
  await npmStep('npm install in lib/vscode/extensions (built-in extensions)', path.join(vscodeDir, 'extensions'), ['install', '--omit=dev', '--ignore-scripts']);
  forceSymlink('code-linux.sh', path.join(vscodeDir, 'bin', 'remote-cli', 'code-server'));
  forceSymlink('browser-linux.sh', path.join(vscodeDir, 'bin', 'helpers', 'browser.sh'));
  info('npm rebuild argon2');
  await mustRun(npm, ['rebuild', 'argon2', ...quiet], { cwd: installDir, logFile, heartbeatMs: 20_000, timeoutMs: 10 * 60_000 });
  const version = await mustRun(process.execPath, [codeServerEntry, '--version'], { env: codeServerEnv(installDir), timeoutMs: 60_000 });
  info(`code-server --version: ${version.stdout.trim().split('\n').pop()}`);
  fs.writeFileSync(markerFile, `${JSON.stringify({ version: CODE_SERVER_VERSION, recipe: RECIPE, installedAt: new Date().toISOString() }, null, 2)}\n`);
}

/** @param {string} target @param {string} link */
function forceSymlink(target, link) {
  fs.rmSync(link, { force: true, recursive: false });
  fs.symlinkSync(target, link);
}

/** A TCP port that is free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * @typedef {object} Profile  a code-server user profile (all under .cache)
 * @property {string} dir            holds config.yaml and the log
 * @property {string} userDataDir
 * @property {string} extensionsDir
 */

/**
 * Creates (or with `fresh`, recreates) a profile: its dirs and a settings.json without welcome pages.
 * @param {string} dir
 * @param {{ fresh?: boolean, settings?: Record<string, unknown> }} [opts]
 * @returns {Profile}
 */
export function makeProfile(dir, opts = {}) {
  if (opts.fresh) fs.rmSync(dir, { recursive: true, force: true });
  const profile = { dir, userDataDir: path.join(dir, 'user-data'), extensionsDir: path.join(dir, 'extensions') };
  fs.mkdirSync(path.join(profile.userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(profile.extensionsDir, { recursive: true });
  const settingsFile = path.join(profile.userDataDir, 'User', 'settings.json');
  /** @type {Record<string, unknown>} */
  let existing = {};
  try { existing = JSON.parse(fs.readFileSync(settingsFile, 'utf8')); } catch { /* new profile */ }
  const settings = {
    'workbench.startupEditor': 'none',
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'pyml.welcome.openWalkthrough': false,
    'workbench.tips.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'security.workspace.trust.enabled': false,
    ...existing,
    ...opts.settings,
  };
  fs.writeFileSync(settingsFile, `${JSON.stringify(settings, null, 2)}\n`);
  return profile;
}

/**
 * code-server's environment: no extension gallery, and its own config/data folders (it writes a default
 * config and its logs there) kept under `home` instead of ~/.config and ~/.local/share.
 * @param {string} home
 * @param {Record<string, string>} [extraEnv]
 */
function codeServerEnv(home, extraEnv) {
  return {
    ...process.env,
    EXTENSIONS_GALLERY: '{}',
    XDG_CONFIG_HOME: path.join(home, 'xdg-config'),
    XDG_DATA_HOME: path.join(home, 'xdg-data'),
    ...extraEnv,
  };
}

/**
 * Installs a .vsix into the profile (`code-server --install-extension x.vsix --force`).
 * @param {Profile} profile
 * @param {string} vsix
 */
export async function installVsix(profile, vsix) {
  if (!fs.existsSync(vsix)) throw new SetupError(`${vsix} does not exist: run \`npm run package\` first.`);
  await mustRun(process.execPath, [codeServerEntry,
    '--user-data-dir', profile.userDataDir, '--extensions-dir', profile.extensionsDir,
    '--install-extension', vsix, '--force'], { env: codeServerEnv(profile.dir), timeoutMs: 120_000 });
}

/**
 * @typedef {object} CodeServer
 * @property {number} port
 * @property {string} origin    http://127.0.0.1:PORT
 * @property {string} logFile
 * @property {() => Promise<void>} stop
 * @property {Promise<number | null>} exited
 */

/**
 * Starts code-server on 127.0.0.1 and waits until it answers /healthz.
 * @param {Profile} profile
 * @param {{ folder?: string, env?: Record<string, string>, port?: number, workspaceTrust?: boolean }} [opts]
 *   `workspaceTrust`: keep VS Code's workspace trust (Restricted Mode for untrusted folders); off by default
 * @returns {Promise<CodeServer>}
 */
export async function startCodeServer(profile, opts = {}) {
  if (!fs.existsSync(codeServerEntry)) throw new SetupError('code-server is not installed: run `npm run setup -- --only code-server`.');
  const port = opts.port ?? await freePort();
  const config = path.join(profile.dir, 'config.yaml');
  fs.writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const logFile = path.join(profile.dir, 'code-server.log');
  const logFd = fs.openSync(logFile, 'w');
  const args = [codeServerEntry,
    '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check',
    ...(opts.workspaceTrust ? [] : ['--disable-workspace-trust']), '--config', config,
    '--user-data-dir', profile.userDataDir, '--extensions-dir', profile.extensionsDir,
    ...(opts.folder ? [opts.folder] : [])];
  // Its own process group, so stop() also ends the extension host and other children.
  const child = spawn(process.execPath, args, { env: codeServerEnv(profile.dir, opts.env), stdio: ['ignore', logFd, logFd], detached: true });
  fs.closeSync(logFd);
  /** @type {number | null | undefined} */
  let exitCode;
  const exited = new Promise((resolve) => child.on('exit', (code) => { exitCode = code; resolve(code); }));
  const stop = async () => {
    if (exitCode !== undefined || !child.pid) return;
    try { process.kill(-child.pid, 'SIGTERM'); } catch { return; }
    const killed = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
    if (!killed) try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
  };
  const origin = `http://127.0.0.1:${port}`;
  const alive = () => {
    if (exitCode !== undefined) throw new Error(`code-server exited with ${exitCode}; see ${logFile}`);
  };
  try {
    await waitFor(() => { alive(); return answers(`${origin}/healthz`, 2000); },
      { timeoutMs: 60_000, intervalMs: 200, what: `code-server at ${origin}/healthz` });
    // The VS Code server behind it loads on the first page request, which can take half a minute on a
    // busy machine: request the workbench page once here, so browsers and users get a quick answer.
    await waitFor(() => { alive(); return answers(`${origin}/`, 150_000); }, // 200, or 302 to the folder
      { timeoutMs: 150_000, intervalMs: 500, what: `the workbench page at ${origin}/` });
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, origin, logFile, stop, exited };
}

/**
 * Whether a GET of `url` answers (2xx or a redirect) within `timeoutMs`.
 * @param {string} url
 * @param {number} timeoutMs
 * @returns {Promise<boolean>}
 */
function answers(url, timeoutMs) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      const status = res.statusCode ?? 500;
      resolve(status >= 200 && status < 400);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
  });
}
