/**
 * Batch prediction benchmark: N rows x 8 float64 columns, Parquet -> identity model in its container
 * -> Parquet, for each size asked (default 1M and 10M), with:
 *   - rows/s of the run, and of a copy (same reader and writer, no model) as the baseline in the same run;
 *   - peak memory of the extension side (the run's own process: maxRSS) and of the container
 *     (the RSS of its processes, sampled at each tenth of the rows; the cgroup max_usage is printed
 *     too, but it counts the start and the page cache), which must not grow with the row count.
 * Prints one JSON document (and writes it to --json PATH).
 *
 *   npm run compile-tests && node out/bench/batch/bench.js [--sizes 1000000,10000000]
 *       [--rows-per-batch N (default: as the extension sizes batches)] [--in-flight N] [--nullable] [--no-shm] [--same-thread] [--json PATH]
 * Batches go through shared memory as the extension sends them (src/batch/container.ts); --no-shm
 * sends every byte through gRPC instead. The run goes through a batch thread as the extension runs a
 * file input (src/batch/thread); --same-thread runs it on the process's own thread.
 *
 * Needs dockerd and the base image (PYML_TEST_BASE_IMAGE, default pyml-base:bookworm); builds the
 * model image from bench/batch/identity8 and removes it, its containers and its files at the end.
 */
import { execFile } from 'child_process';
import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildImage, prepareBuild } from '../../src/container/imageBuild';
import { connectEngine } from '../../src/container/engine';

const REPO = path.resolve(__dirname, '..', '..', '..');
const BASE_IMAGE = process.env['PYML_TEST_BASE_IMAGE'] ?? 'pyml-base:bookworm';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

/** PYML_BENCH_CPU_PROF=DIR: each worker writes a V8 CPU profile (.cpuprofile) into DIR. */
const PROFILE_DIR = process.env['PYML_BENCH_CPU_PROF'];

function worker(args: string[]): Promise<Record<string, number>> {
  const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${args[0] ?? 'worker'}-${Date.now()}.cpuprofile`] : [];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...profile, path.join(__dirname, 'worker.js'), ...args], { maxBuffer: 16 * 1024 * 1024, timeout: 30 * 60_000 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`worker ${args[0] ?? ''} failed: ${stderr || err.message}`));
        return;
      }
      const line = stdout.trim().split('\n').pop() ?? '';
      resolve(JSON.parse(line) as Record<string, number>);
    });
  });
}

const round = (x: number | undefined, digits = 1): number => Math.round((x ?? NaN) * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const sizes = arg('sizes', '1000000,10000000').split(',').map(Number);
  const rowsPerBatch = arg('rows-per-batch', ''); // default: sized as the extension sizes it
  const inFlight = arg('in-flight', '');
  const nullable = process.argv.includes('--nullable');
  const jsonPath = arg('json', '');
  const engine = await connectEngine({ setting: '' });
  await engine.docker.getImage(BASE_IMAGE).inspect().catch(() => {
    throw new Error(`the base image ${BASE_IMAGE} is missing: run \`node scripts/setup.mjs --only docker,image\` (or set PYML_TEST_BASE_IMAGE)`);
  });

  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'pyml-bench-batch-'));
  const folder = path.join(work, 'identity8');
  await fs.cp(path.join(REPO, 'bench', 'batch', 'identity8'), folder, { recursive: true });
  const manifestFile = path.join(folder, 'pyml.yaml');
  await fs.writeFile(manifestFile, (await fs.readFile(manifestFile, 'utf8')).replace(/^name: .*$/m, `name: bench-identity8-${randomBytes(3).toString('hex')}`));
  const settings = { runtimeDir: path.join(REPO, 'runtime'), baseImage: BASE_IMAGE, maxMessageMB: 512 };
  const prepared = await prepareBuild(folder, settings);
  const results: Record<string, unknown>[] = [];
  try {
    const built = await buildImage(engine, prepared, settings);
    for (const rows of sizes) {
      const input = path.join(work, `in-${rows}.parquet`);
      const output = path.join(work, `out-${rows}.parquet`);
      const copied = path.join(work, `copy-${rows}.parquet`);
      const gen = await worker(['gen', '--output', input, '--rows', String(rows), ...(nullable ? ['--nullable'] : [])]);
      const batching = rowsPerBatch ? ['--rows-per-batch', rowsPerBatch] : [];
      const copy = await worker(['copy', '--input', input, '--output', copied, ...batching]);
      await fs.rm(copied, { force: true });
      const run = await worker([
        'run', '--input', input, '--output', output, '--rows', String(rows), ...batching,
        ...(inFlight ? ['--in-flight', inFlight] : []), ...(process.argv.includes('--no-shm') ? ['--no-shm'] : []), ...(process.argv.includes('--same-thread') ? ['--same-thread'] : []), '--folder', folder, '--image', built.tag, '--proto', path.join(REPO, 'runtime', 'pyml', 'proto', 'grpc_predict_v2.proto'),
      ]);
      if (run['rows'] !== rows) throw new Error(`the run wrote ${run['rows']} rows, not ${rows}`);
      results.push({
        rows,
        inputBytes: gen['bytes'],
        rowsPerBatch: run['rowsPerBatch'],
        sharedMemory: (run as Record<string, unknown>)['sharedMemory'],
        loadAverage: os.loadavg().map((l) => round(l, 2)),
        batch: { seconds: round(run['seconds'], 2), rowsPerSecond: Math.round(run['rowsPerSecond'] ?? 0), extensionPeakRssMB: round(run['extensionPeakRssMB']), extensionRssMBByTenth: run['extensionRssMBByTenth'], containerPeakRssMB: round(run['containerPeakRssMB']), containerRssMBByTenth: (run as Record<string, unknown>)['containerRssMBByTenth'], containerCgroupMaxMB: round(run['containerCgroupMaxMB']), extensionCpuSeconds: round(run['extensionCpuSeconds'], 2), containerCpuSeconds: round(run['containerCpuSeconds'], 2), cpuSecondsOfRun: { extension: round(run['extensionCpuSecondsOfRun'], 2), container: round(run['containerCpuSecondsOfRun'], 2) } },
        copyBaseline: { seconds: round(copy['seconds'], 2), rowsPerSecond: Math.round(copy['rowsPerSecond'] ?? 0), extensionPeakRssMB: round(copy['extensionPeakRssMB']), extensionCpuSeconds: round(copy['extensionCpuSeconds'], 2), cpuSecondsOfRun: { extension: round(copy['extensionCpuSecondsOfRun'], 2) } },
        ratioBatchToCopy: round((run['rowsPerSecond'] ?? 0) / (copy['rowsPerSecond'] ?? 1), 2),
      });
      await fs.rm(input, { force: true });
      await fs.rm(output, { force: true });
    }
  } finally {
    await engine.docker.getImage(prepared.tag).remove({ force: true }).catch(() => undefined);
    await fs.rm(work, { recursive: true, force: true });
  }
  const first = results[0] as { batch: { extensionPeakRssMB: number; containerPeakRssMB: number } } | undefined;
  const last = results[results.length - 1] as typeof first;
  const report = {
    name: 'batch prediction: Parquet -> identity model (8 x float64) -> Parquet',
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    inputColumns: nullable ? 'OPTIONAL (nullable)' : 'REQUIRED',
    results,
    memoryGrowth: first && last ? {
      sizes: `${sizes[0]} -> ${sizes[sizes.length - 1]} rows`,
      extensionPeakRatio: round(last.batch.extensionPeakRssMB / first.batch.extensionPeakRssMB, 2),
      containerPeakRatio: round(last.batch.containerPeakRssMB / first.batch.containerPeakRssMB, 2),
    } : undefined,
  };
  const json = JSON.stringify(report, null, 2);
  console.log(json);
  if (jsonPath) await fs.writeFile(jsonPath, `${json}\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
