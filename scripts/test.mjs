#!/usr/bin/env node
// npm test [-- --layer unit|runtime|integration|vscode|ui ...] [--no-setup]
// Provisions, builds, runs the five test layers in order, and prints their counts.
import fs from 'node:fs';
import path from 'node:path';
import { ensureNodeModules } from './lib/deps.mjs';
import { dockerCli, dockerEnv } from './lib/docker.mjs';
import { SetupError, formatDuration, heading, reportFatal } from './lib/log.mjs';
import { baseImageTag, hostPython, repoRoot, resultsDir, trixieImageTag, vsixPath } from './lib/paths.mjs';
import { mustRun, run } from './lib/proc.mjs';
import { setup } from './setup.mjs';

const LAYERS = /** @type {const} */ (['unit', 'runtime', 'integration', 'vscode', 'ui']);
/** @typedef {typeof LAYERS[number]} Layer */

/** What each layer needs provisioned. */
/** @type {Record<Layer, string[]>} */
// unit: the panel session and batch tests talk to a real runtime server on Debian's python;
// vscode and ui: New Model builds its templates and the panel runs a model container.
const NEEDS = {
  unit: [],
  runtime: ['python', 'docker', 'image'],
  integration: ['docker', 'image', 'python'],
  vscode: ['chromium', 'code-server', 'docker', 'image', 'python'],
  ui: ['chromium', 'code-server', 'docker', 'image', 'python'],
};

/**
 * What a layer can do without: the unit layer runs its Python-free tests when the host Python cannot be
 * set up, and the tests that need Python skip with their reason (under CI they fail instead).
 */
/** @type {Partial<Record<Layer, string[]>>} */
const WANTS = { unit: ['python'] };

const MINUTE = 60_000;

/**
 * @typedef {object} LayerResult
 * @property {string} name
 * @property {number} passed
 * @property {number} failed
 * @property {number} skipped
 * @property {number} ms
 * @property {string} note
 */

/** @param {string[]} argv */
function parseArgs(argv) {
  /** @type {Set<string>} */
  const layers = new Set();
  let doSetup = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--layer') for (const l of (argv[++i] ?? '').split(',')) layers.add(l);
    else if (arg.startsWith('--layer=')) for (const l of arg.slice('--layer='.length).split(',')) layers.add(l);
    else if (arg === '--no-setup') doSetup = false;
    else if (arg === '-h' || arg === '--help') {
      console.log(`usage: npm test -- [--layer ${LAYERS.join('|')}]... [--no-setup]`);
      process.exit(0);
    } else throw new SetupError(`unknown argument ${arg}`);
  }
  const unknown = [...layers].filter((l) => !(/** @type {readonly string[]} */ (LAYERS)).includes(l));
  if (unknown.length) throw new SetupError(`unknown layer(s): ${unknown.join(', ')} (known: ${LAYERS.join(', ')})`);
  const selected = LAYERS.filter((l) => layers.size === 0 || layers.has(l));
  return { selected, doSetup };
}

/** @param {string} script */
async function npmRun(script) {
  heading(`npm run ${script}`);
  const started = Date.now();
  await mustRun('npm', ['run', script], { cwd: repoRoot, output: 'inherit', timeoutMs: 20 * MINUTE });
  console.log(`npm run ${script}: done in ${formatDuration(Date.now() - started)}`);
}

/**
 * Counts a mocha run from the JSON our reporter writes.
 * @param {string} name
 * @param {{ spec: string, env?: Record<string, string>, timeoutMs: number, testTimeoutMs: number }} opts
 * @returns {Promise<Omit<LayerResult, 'name' | 'ms'>>}
 */
async function mochaLayer(name, opts) {
  const statsFile = path.join(resultsDir, name, 'mocha.json');
  fs.rmSync(statsFile, { force: true });
  const r = await run(process.execPath, [
    path.join(repoRoot, 'node_modules', 'mocha', 'bin', 'mocha.js'),
    '--reporter', path.join(repoRoot, 'scripts', 'lib', 'mocha-reporter.cjs'),
    '--timeout', String(opts.testTimeoutMs), '--no-color', '--exit', opts.spec,
  ], {
    cwd: repoRoot, output: 'inherit', timeoutMs: opts.timeoutMs,
    env: { ...process.env, ...opts.env, PYML_MOCHA_STATS: statsFile },
  });
  return countsFromStats(statsFile, r.code, r.timedOut ? `timed out after ${formatDuration(opts.timeoutMs)}` : '');
}

/**
 * @param {string} file  JSON with passes/failures/pending/tests
 * @param {number} code  exit code of the runner
 * @param {string} why   extra note
 */
function countsFromStats(file, code, why) {
  /** @type {{ passes: number, failures: number, pending: number, tests: number }} */
  let s;
  try {
    s = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return { passed: 0, failed: 1, skipped: 0, note: why || `no results (runner exited with ${code}); counted as 1 failure` };
  }
  const result = { passed: s.passes, failed: s.failures, skipped: s.pending, note: why };
  if (s.passes + s.failures === 0) return { ...result, failed: 1, note: 'ran zero tests: counted as 1 failure' };
  if (code !== 0 && s.failures === 0) return { ...result, failed: 1, note: `runner exited with ${code} although no test failed` };
  return result;
}

/**
 * The runtime layer runs twice: on the host's Python (Debian 12: Python 3.11, numpy 1.24, pandas 1.5)
 * and inside a container of the trixie base image (Debian 13: Python 3.13, numpy 2.2, pandas 2.2),
 * the old and the new stack a model meets. Each run is one row of the summary.
 * @param {Record<string, string>} env
 * @returns {Promise<LayerResult[]>}
 */
async function runtimeLayers(env) {
  const dir = path.join(resultsDir, 'runtime');
  fs.mkdirSync(dir, { recursive: true });
  const hostStart = Date.now();
  const hostStack = await stackOf(hostPython, []);
  console.log(`host: ${hostPython}, ${hostStack.text}`);
  const junit = path.join(dir, 'junit-host.xml');
  const host = { name: `runtime (host, Python ${hostStack.python})`, ...await runtimePytest(hostPython, [], junit, junit, env) };
  const hostResult = { ...host, ms: Date.now() - hostStart };
  const imageStart = Date.now();
  const inImage = await runtimeInImage(trixieImageTag, dir, env);
  return [hostResult, { ...inImage, ms: Date.now() - imageStart }];
}

/**
 * `python3 -m pytest test/runtime` in a container of `image`: the repository mounted read-only, no
 * network, the report written to a mounted folder, as the host's user. The image has no protoc, so
 * the host's protoc compiles the .proto first and the stubs test compares against its output
 * (PYML_PROTO_DESCRIPTOR_SET); the comparison itself runs on the image's protobuf.
 * @param {string} image
 * @param {string} dir  test-results/runtime, mounted at /results
 * @param {Record<string, string>} env
 * @returns {Promise<Omit<LayerResult, 'ms'>>}
 */
async function runtimeInImage(image, dir, env) {
  const cli = dockerCli() ?? 'docker';
  const dockerProcessEnv = { ...process.env, ...env };
  const stack = await stackOf(cli, ['run', '--rm', '--network', 'none', image, 'python3'], dockerProcessEnv);
  const name = `runtime (${image}, Python ${stack.python})`;
  if (!stack.ok) return { name, passed: 0, failed: 1, skipped: 0, note: `${image} does not run python3 (${stack.text}): run \`npm run setup -- --only docker,image\`` };
  console.log(`${image}: ${stack.text}`);
  const descriptorSet = path.join(dir, 'grpc_predict_v2.pb');
  fs.rmSync(descriptorSet, { force: true });
  const proto = await run('protoc', ['--proto_path', path.join(repoRoot, 'runtime', 'pyml', 'proto'),
    '--descriptor_set_out', descriptorSet, 'grpc_predict_v2.proto']);
  if (proto.code !== 0) console.log(`protoc failed on the host (${proto.stderr.trim() || proto.code}): the stubs test in ${image} reports it`);
  const junit = path.join(dir, `junit-${image.replace(/[^a-z0-9]+/gi, '-')}.xml`);
  const docker = [
    'run', '--rm', '--name', `pyml-runtime-tests-${process.pid}`, '--network', 'none',
    '--user', `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`,
    '--volume', `${repoRoot}:/repo:ro`, '--volume', `${dir}:/results`, '--workdir', '/repo',
    '--env', 'HOME=/tmp', '--env', 'PYTHONDONTWRITEBYTECODE=1',
    ...(process.env.CI ? ['--env', `CI=${process.env.CI}`] : []),
    ...(proto.code === 0 ? ['--env', `PYML_PROTO_DESCRIPTOR_SET=/results/${path.basename(descriptorSet)}`] : []),
    image, 'python3',
  ];
  return { name, ...await runtimePytest(cli, docker, junit, `/results/${path.basename(junit)}`, env) };
}

/**
 * The Python, numpy and pandas versions of a python (or of python3 in `docker run ... image`).
 * @param {string} cmd
 * @param {string[]} prefix  arguments before python's own
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {Promise<{ ok: boolean, python: string, text: string }>}
 */
async function stackOf(cmd, prefix, env) {
  const code = 'import sys, numpy, pandas; print(sys.version.split()[0], numpy.__version__, pandas.__version__)';
  const r = await run(cmd, [...prefix, '-c', code], { timeoutMs: 120_000, ...(env ? { env } : {}) });
  const [python, numpy, pandas] = r.stdout.trim().split(' ');
  if (r.code !== 0 || !pandas) return { ok: false, python: '?', text: r.stderr.trim().split('\n').pop() ?? `exit ${r.code}` };
  return { ok: true, python: python ?? '?', text: `Python ${python}, numpy ${numpy}, pandas ${pandas}` };
}

/**
 * Runs pytest over test/runtime and counts its JUnit report.
 * @param {string} cmd          the python, or the docker CLI
 * @param {string[]} prefix     arguments before `-m pytest` (docker run ... python3)
 * @param {string} junit        where the report lands on the host
 * @param {string} junitArg     the same file as the runner sees it
 * @param {Record<string, string>} env
 * @returns {Promise<Omit<LayerResult, 'name' | 'ms'>>}
 */
async function runtimePytest(cmd, prefix, junit, junitArg, env) {
  fs.rmSync(junit, { force: true });
  const r = await run(cmd, [...prefix, '-m', 'pytest', 'test/runtime', '-ra', '-p', 'no:cacheprovider', `--junitxml=${junitArg}`], {
    cwd: repoRoot, output: 'inherit', timeoutMs: 20 * MINUTE,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...env },
  });
  if (r.code === 5) return { passed: 0, failed: 1, skipped: 0, note: 'pytest collected no tests: counted as 1 failure' };
  if (!fs.existsSync(junit)) return { passed: 0, failed: 1, skipped: 0, note: `pytest exited with ${r.code} without a report` };
  const xml = fs.readFileSync(junit, 'utf8');
  let tests = 0; let failed = 0; let skipped = 0;
  for (const m of xml.matchAll(/<testsuite\b([^>]*)>/g)) {
    const attr = (/** @type {string} */ k) => Number((m[1] ?? '').match(new RegExp(`\\b${k}="(\\d+)"`))?.[1] ?? 0);
    tests += attr('tests'); failed += attr('failures') + attr('errors'); skipped += attr('skipped');
  }
  const result = { passed: tests - failed - skipped, failed, skipped, note: '' };
  if (tests - skipped === 0) return { ...result, failed: 1, note: 'ran zero tests: counted as 1 failure' };
  if (r.code !== 0 && failed === 0) return { ...result, failed: 1, note: `pytest exited with ${r.code}` };
  return result;
}

/** @returns {Promise<Omit<LayerResult, 'name' | 'ms'>>} */
async function vscodeLayer(/** @type {Record<string, string>} */ env) {
  const resultsFile = path.join(resultsDir, 'vscode', 'results.json');
  fs.rmSync(resultsFile, { force: true });
  const r = await run(process.execPath, [
    path.join(repoRoot, 'test', 'vscode', 'runner', 'run.mjs'),
    '--tests', path.join(repoRoot, 'out', 'test', 'vscode', 'suite', 'index.js'),
    '--results', resultsFile,
    '--name', 'vscode',
  ], { cwd: repoRoot, output: 'inherit', timeoutMs: 20 * MINUTE, env: { ...process.env, ...env } });
  return countsFromStats(resultsFile, r.code, r.timedOut ? 'timed out' : '');
}

/**
 * @param {Exclude<Layer, 'runtime'>} layer
 * @param {Record<string, string>} dockerVars
 * @returns {Promise<Omit<LayerResult, 'name' | 'ms'>>}
 */
function runLayer(layer, dockerVars) {
  switch (layer) {
    case 'unit':
      return mochaLayer('unit', { spec: 'out/test/unit/**/*.test.js', timeoutMs: 10 * MINUTE, testTimeoutMs: 10_000 });
    case 'integration':
      return mochaLayer('integration', {
        spec: 'out/test/integration/**/*.test.js', timeoutMs: 40 * MINUTE, testTimeoutMs: 5 * MINUTE,
        env: { PYML_TEST_BASE_IMAGE: baseImageTag, PYML_TEST_NEW_BASE_IMAGE: trixieImageTag, ...dockerVars },
      });
    case 'vscode':
      return vscodeLayer(dockerVars);
    case 'ui':
      return mochaLayer('ui', {
        spec: 'test/ui/**/*.test.mjs', timeoutMs: 30 * MINUTE, testTimeoutMs: 3 * MINUTE,
        env: { PYML_VSIX: vsixPath, ...dockerVars },
      });
  }
}

/**
 * Provisions steps that the selected layers can do without; says what will skip when one fails.
 * @param {string[]} optional
 */
async function setupOptional(optional) {
  try {
    await setup(optional);
  } catch (err) {
    if (!(err instanceof SetupError)) throw err;
    console.log(`\nwarning: ${err.message}\nThe unit layer runs on; its tests that need Python skip, each saying why`
      + `${process.env['CI'] ? ' (under CI they fail)' : ''}.\n`);
  }
}

/** @param {LayerResult[]} results */
function printSummary(results) {
  heading('summary');
  const rows = [['layer', 'passed', 'failed', 'skipped', 'time', 'note'],
    ...results.map((r) => [r.name, String(r.passed), String(r.failed), String(r.skipped), formatDuration(r.ms), r.note])];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
  const total = (/** @type {'passed' | 'failed' | 'skipped'} */ k) => results.reduce((n, r) => n + r[k], 0);
  const skipped = total('skipped');
  console.log(`\n${total('passed')} passed, ${total('failed')} failed${skipped ? `, ${skipped} skipped` : ''}`);
  return total('failed');
}

async function main() {
  const started = Date.now();
  const { selected, doSetup } = parseArgs(process.argv.slice(2));
  const steps = [...new Set(selected.flatMap((l) => NEEDS[l]))];
  /** @type {import('./setup.mjs').SetupResult} */
  let provisioned = {};
  try {
    // npm's dependencies (a fresh clone has none) install beside the provisioning.
    const [, result] = await Promise.all([ensureNodeModules(), doSetup && steps.length ? setup(steps) : {}]);
    provisioned = result;
    const optional = [...new Set(selected.flatMap((l) => WANTS[l] ?? []))].filter((s) => !steps.includes(s));
    if (doSetup && optional.length) await setupOptional(optional);
  } catch (err) {
    reportFatal(err);
    console.log('\nsetup failed: no layer ran; each selected layer counts as 1 failure');
    console.log(`0 passed, ${selected.length} failed`);
    return;
  }
  /** @type {LayerResult[]} */
  const results = [];
  // A failed build is reported as its own failure; the layers still run on what was emitted
  // (tsc emits despite type errors), so one broken file does not hide every other result.
  const needsBuild = selected.some((l) => l !== 'runtime');
  const builds = needsBuild ? [selected.includes('ui') ? 'package' : 'build', 'compile-tests'] : [];
  for (const script of builds) {
    const buildStart = Date.now();
    try {
      await npmRun(script); // `package` builds too: vsce runs vscode:prepublish = npm run build
    } catch (err) {
      console.log(`\nnpm run ${script} FAILED: ${err instanceof Error ? err.message.split('\n')[0] : err}`);
      results.push({ name: `(npm run ${script})`, passed: 0, failed: 1, skipped: 0, ms: Date.now() - buildStart, note: 'build step failed' });
    }
  }
  const dockerVars = provisioned.docker ? dockerEnv(provisioned.docker) : {};
  for (const layer of selected) {
    heading(`layer: ${layer}`);
    const layerStart = Date.now();
    const layerResults = layer === 'runtime'
      ? await runtimeLayers(dockerVars)
      : [{ name: layer, ...await runLayer(layer, dockerVars), ms: Date.now() - layerStart }];
    for (const result of layerResults) {
      console.log(`layer ${result.name}: ${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped`
        + ` in ${formatDuration(result.ms)}${result.note ? ` (${result.note})` : ''}`);
      results.push(result);
    }
  }
  console.log(`\ntotal time ${formatDuration(Date.now() - started)}`);
  if (printSummary(results) > 0) process.exitCode = 1;
}

main().catch(reportFatal);
