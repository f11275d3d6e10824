#!/usr/bin/env node
// npm run bench [-- --no-build]: notes the machine, then runs each benchmark and prints its figures as ratios.
//  1. The extension's activation time, measured by the extension itself in code-server's extension host
//     (activate() returns { activationMs }), over several fresh starts; ratio to the 50 ms budget.
//  2. bench/runtime/bench_*.py (the Python runtime's benchmarks, `--json PATH`; other .py files there are
//     their helpers), with Debian's python on the host and again in a container of pyml-base:trixie.
//  3. The TypeScript benchmarks compiled to out/bench (each prints JSON and writes `--json PATH`, and
//     measures its own baseline in the same run): the language server, the container build and dev
//     mode, the panel's round trip, and batch prediction.
//     Issue benches: rebuild (a model.py edit with 500 MB in data/ against the first build), serving
//     (one worker process against two), shm (shared memory against gRPC bytes), cluster (this machine
//     against a local Dask cluster).
// `--only NAME,...` runs a subset of the names below (default: all of them).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatDuration, heading, info, reportFatal } from '../scripts/lib/log.mjs';
import { dockerCli } from '../scripts/lib/docker.mjs';
import { hostPython, repoRoot, resultsDir, trixieImageTag } from '../scripts/lib/paths.mjs';
import { mustRun, run } from '../scripts/lib/proc.mjs';
import { ensureNodeModules } from '../scripts/lib/deps.mjs';
import { setup } from '../scripts/setup.mjs';
import { runSuite } from '../test/vscode/runner/suite.mjs';

const ACTIVATION_BUDGET_MS = 50;
/** PYML_BENCH_ACTIVATION_RUNS=0 skips the activation bench. */
const ACTIVATION_RUNS = Number(process.env.PYML_BENCH_ACTIVATION_RUNS ?? 5);
const outDir = path.join(resultsDir, 'bench');

/** @param {number[]} xs */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

async function machine() {
  const py = await run(hostPython, ['--version']);
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    python: `${hostPython} ${(py.stdout || py.stderr).trim()}`,
  };
}

async function activationBench() {
  heading(`activation time (${ACTIVATION_RUNS} fresh code-server starts)`);
  /** @type {number[]} */
  const samples = [];
  for (let i = 0; i < ACTIVATION_RUNS; i++) {
    const resultsFile = path.join(outDir, `activation-${i}.json`);
    const r = await runSuite({
      name: 'bench-activation',
      extensionTestsPath: path.join(repoRoot, 'out', 'test', 'vscode', 'bench', 'index.js'),
      resultsFile,
      timeoutMs: 3 * 60_000,
      quiet: true,
    });
    const figures = /** @type {{ figures?: { activationMs?: number }, failed?: { message: string }[] } | undefined} */ (r.results);
    const ms = figures?.figures?.activationMs;
    if (typeof ms !== 'number') throw new Error(`run ${i + 1}: no activation time (${figures?.failed?.[0]?.message ?? `exit ${r.exitCode}`})`);
    info(`run ${i + 1}: ${ms.toFixed(1)} ms`);
    samples.push(ms);
  }
  const med = median(samples);
  return {
    name: 'extension activation (bundle first line -> end of activate)',
    samplesMs: samples,
    medianMs: med,
    budgetMs: ACTIVATION_BUDGET_MS,
    ratioToBudget: med / ACTIVATION_BUDGET_MS,
  };
}

/**
 * Each bench/runtime/bench_*.py runs twice: on the host's Python (Debian 12: Python 3.11, numpy 1.24,
 * pandas 1.5) and in a container of pyml-base:trixie (Debian 13: Python 3.13, numpy 2.2, pandas 2.2),
 * each against its own grpcio floor measured in the same run, on the same stack.
 */
async function runtimeBenches() {
  const dir = path.join(repoRoot, 'bench', 'runtime');
  const scripts = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^bench_.*\.py$/.test(f)).sort() : [];
  /** @type {Record<string, unknown>} */
  const results = {};
  for (const script of scripts) {
    const name = path.basename(script, '.py');
    heading(`runtime bench: bench/runtime/${script} on the host (${hostPython})`);
    results[`${script} (host)`] = await runtimeBench(hostPython, [path.join(dir, script)], path.join(outDir, `${name}-host.json`));
    heading(`runtime bench: bench/runtime/${script} in ${trixieImageTag}`);
    const json = path.join(outDir, `${name}-trixie.json`);
    const docker = [
      'run', '--rm', '--name', `pyml-bench-runtime-${process.pid}`, '--network', 'none',
      '--volume', `${repoRoot}:/repo:ro`, '--volume', `${outDir}:/out`, '--workdir', '/repo',
      '--env', 'PYTHONDONTWRITEBYTECODE=1', trixieImageTag, 'python3', `/repo/bench/runtime/${script}`,
    ];
    results[`${script} (${trixieImageTag})`] = await runtimeBench(dockerCli() ?? 'docker', docker, json, `/out/${path.basename(json)}`);
  }
  if (!scripts.length) info('no bench/runtime/bench_*.py yet');
  return results;
}

/**
 * @param {string} cmd  python, or the docker CLI
 * @param {string[]} args  up to the script
 * @param {string} json  the results file on the host
 * @param {string} [jsonArg]  the same file as the script sees it
 */
async function runtimeBench(cmd, args, json, jsonArg = json) {
  fs.rmSync(json, { force: true });
  const started = Date.now();
  await mustRun(cmd, [...args, '--json', jsonArg], {
    cwd: repoRoot, output: 'inherit', timeoutMs: 6 * 60_000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  info(`took ${formatDuration(Date.now() - started)}`);
  return fs.existsSync(json) ? JSON.parse(fs.readFileSync(json, 'utf8')) : { error: 'no --json output' };
}

/**
 * Flattens a runtime bench's JSON into "path: value" lines; array items are named by their
 * `scenario` or `name` field when they have one.
 * @param {unknown} value @param {string} prefix @param {string[]} out
 */
function flatten(value, prefix, out) {
  const join = (/** @type {string} */ k) => (prefix ? `${prefix}.${k}` : k);
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const named = item && typeof item === 'object' ? (item.scenario ?? item.name) : undefined;
      flatten(item, join(typeof named === 'string' ? named : String(i)), out);
    });
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) flatten(v, join(k), out);
  } else {
    const shown = typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toPrecision(4)) : JSON.stringify(value);
    out.push(`${prefix}: ${shown}`);
  }
  return out;
}

/** The TypeScript benchmarks: name -> compiled script under out/bench, and what each needs. */
const TS_BENCHES = Object.freeze({
  server: { script: 'server/serverBench.js', needs: [], timeoutMs: 5 * 60_000 },
  container: { script: 'container/containerBench.js', needs: ['docker', 'image'], timeoutMs: 15 * 60_000 },
  panel: { script: 'panel/roundtrip.js', needs: [], timeoutMs: 10 * 60_000 },
  batch: { script: 'batch/bench.js', needs: ['docker', 'image'], timeoutMs: 30 * 60_000 },
  debug: { script: 'debug/debugBench.js', needs: ['docker', 'image'], timeoutMs: 15 * 60_000 },
  cluster: { script: 'cluster/bench.js', needs: ['docker', 'image'], timeoutMs: 60 * 60_000 },
  rebuild: { script: 'rebuild/rebuildBench.js', needs: ['docker', 'image'], timeoutMs: 20 * 60_000 },
  serving: { script: 'serving/servingBench.js', needs: ['docker', 'image', 'loadgen'], timeoutMs: 40 * 60_000 },
  shm: { script: 'shm/shmBench.js', needs: ['docker', 'image'], timeoutMs: 20 * 60_000 },
});
const ALL = ['activation', 'runtime', ...Object.keys(TS_BENCHES)];

/** @returns {Set<string>} */
function selected() {
  const i = process.argv.indexOf('--only');
  if (i < 0) return new Set(ALL);
  const names = (process.argv[i + 1] ?? '').split(',').map((n) => n.trim()).filter(Boolean);
  const unknown = names.filter((n) => !ALL.includes(n));
  if (unknown.length || !names.length) throw new Error(`--only takes a comma-separated list of ${ALL.join(', ')}; got "${process.argv[i + 1] ?? ''}"`);
  return new Set(names);
}

/** @param {string} name @param {{ script: string, timeoutMs: number }} bench */
async function tsBench(name, bench) {
  heading(`${name} bench: out/bench/${bench.script}`);
  const json = path.join(outDir, `${name}.json`);
  fs.rmSync(json, { force: true });
  const started = Date.now();
  await mustRun(process.execPath, [path.join(repoRoot, 'out', 'bench', bench.script), '--json', json], {
    cwd: repoRoot, output: 'inherit', timeoutMs: bench.timeoutMs,
  });
  info(`took ${formatDuration(Date.now() - started)}`);
  return fs.existsSync(json) ? JSON.parse(fs.readFileSync(json, 'utf8')) : { error: 'no --json output' };
}

/** The lines worth a summary: ratios, targets and medians (everything else is in results.json). */
const SUMMARY_KEYS = /ratio|target|budget|p50|p99|median|rowsPerSecond|requestsPerSecond|peak|errors|memoryFlat|load|cores|firstBuild|GBps|gbPerSecond/i;

async function main() {
  const started = Date.now();
  const only = selected();
  fs.mkdirSync(outDir, { recursive: true });
  const host = await machine();
  heading('machine');
  for (const [k, v] of Object.entries(host)) info(`${k}: ${v}`);
  const needs = new Set(['python']);
  if (only.has('runtime')) ['docker', 'image'].forEach((n) => needs.add(n));
  if (only.has('activation')) ['chromium', 'code-server'].forEach((n) => needs.add(n));
  for (const [name, bench] of Object.entries(TS_BENCHES)) if (only.has(name)) bench.needs.forEach((n) => needs.add(n));
  await Promise.all([ensureNodeModules(), setup([...needs])]);
  if (process.argv.includes('--no-build')) {
    info('--no-build: using the existing dist/ and out/');
  } else {
    heading('build');
    if (only.has('activation')) await mustRun('npm', ['run', 'build'], { cwd: repoRoot, output: 'inherit' });
    await mustRun('npm', ['run', 'compile-tests'], { cwd: repoRoot, output: 'inherit' });
  }
  const activation = only.has('activation') && ACTIVATION_RUNS > 0 ? await activationBench() : undefined;
  const runtime = only.has('runtime') ? await runtimeBenches() : {};
  /** @type {Record<string, unknown>} */
  const figures = {};
  for (const [name, bench] of Object.entries(TS_BENCHES)) if (only.has(name)) figures[name] = await tsBench(name, bench);
  heading('results');
  console.log(`machine: ${host.cpu}, ${host.cores} cores, ${host.memoryGiB} GiB, ${host.os}, node ${host.node}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  if (activation) console.log(`activation: median ${activation.medianMs.toFixed(1)} ms over ${activation.samplesMs.length} runs `
    + `= ${activation.ratioToBudget.toFixed(2)}x the ${ACTIVATION_BUDGET_MS} ms budget `
    + `(${activation.ratioToBudget <= 1 ? 'within' : 'OVER'} budget; samples ${activation.samplesMs.map((s) => s.toFixed(1)).join(', ')})`);
  for (const [name, result] of [...Object.entries(runtime), ...Object.entries(figures)]) {
    const lines = flatten(result, '', []).filter((l) => SUMMARY_KEYS.test(l.split(':')[0] ?? ''));
    console.log(`${name} (ratios, budgets and medians; all figures in results.json):`);
    for (const line of lines) console.log(`  ${line}`);
  }
  const report = { machine: host, activation, runtime, ...figures, tookMs: Date.now() - started };
  fs.writeFileSync(path.join(outDir, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nbench took ${formatDuration(Date.now() - started)}; full results in ${path.relative(repoRoot, path.join(outDir, 'results.json'))}`);
}

main().catch(reportFatal);
