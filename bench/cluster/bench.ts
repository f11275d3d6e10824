/**
 * Cluster batch benchmark: the same N-row job (default 10M rows x 3 float64 columns, CSV in, CSV
 * out, the numpy New Model template) on this machine (`pyml batch` in one container of the image:
 * the same reader, request path and writer a worker uses) and on a local Dask cluster of 1 and 2
 * workers. Reports rows/s of each and the ratios to this machine, and the per-partition overhead of
 * the cluster (a job of many tiny partitions on 1 worker: seconds per partition). The machine's core
 * count is part of the result: a local cluster cannot beat one machine by more than its free cores.
 *
 *   npm run compile-tests && node out/bench/cluster/bench.js [--rows 10000000] [--partitions 20] [--json PATH]
 *
 * Needs dockerd and the base image (PYML_TEST_BASE_IMAGE, default pyml-base:bookworm); builds the
 * model image and removes it, its containers and its files at the end.
 */
import { randomBytes } from 'crypto';
import { createWriteStream, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runClusterJob } from '../../src/cluster/job';
import { removeLeftoverClusters } from '../../src/cluster/localCluster';
import { connectEngine, type Engine } from '../../src/container/engine';
import { buildImage, prepareBuild } from '../../src/container/imageBuild';
import { renderTemplate } from '../../src/scaffold/render';

const REPO = path.resolve(__dirname, '..', '..', '..');
const BASE_IMAGE = process.env['PYML_TEST_BASE_IMAGE'] ?? 'pyml-base:bookworm';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

async function writeRows(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  const write = (text: string): Promise<void> =>
    new Promise((resolve) => {
      if (out.write(text)) resolve();
      else out.once('drain', resolve);
    });
  await write('id,area_m2,rooms,age_years\n');
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    chunk += `${i},${40 + (i % 211) * 0.75},${1 + (i % 7)},${(i * 37) % 101}.5\n`;
    if (chunk.length > 1 << 20) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk);
  await new Promise<void>((resolve, reject) => {
    out.end((err?: Error | null) => {
      if (err) reject(err);
      else resolve();
    });
  });
}

/** `pyml batch` in one container of the image: this machine, the same Python path as a worker. */
async function oneMachine(engine: Engine, image: string, work: string, input: string, output: string): Promise<number> {
  const started = Date.now();
  const container = await engine.docker.createContainer({
    Image: image,
    name: `cluster-bench-one-${randomBytes(2).toString('hex')}`,
    Cmd: ['batch', '/opt/pyml/model', '--input', input, '--output', output, '--keys', 'id', '--quiet'],
    User: `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`,
    HostConfig: { Binds: [`${work}:${work}`], NetworkMode: 'none' },
  });
  try {
    await container.start();
    const exit = (await container.wait()) as { StatusCode: number };
    if (exit.StatusCode !== 0) throw new Error(`pyml batch exited ${exit.StatusCode}: ${(await container.logs({ stdout: true, stderr: true })).toString()}`);
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
  return (Date.now() - started) / 1000;
}

async function main(): Promise<void> {
  const rows = Number(arg('rows', '10000000'));
  const partitions = Number(arg('partitions', '20'));
  const jsonPath = arg('json', '');
  const engine = await connectEngine({ setting: '' });
  const work = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cluster-bench-')));
  const folder = path.join(work, 'model');
  let tag = '';
  try {
    for (const f of renderTemplate('dataframe', 'numpy', `cluster-bench-${randomBytes(3).toString('hex')}`)) {
      await fs.mkdir(path.dirname(path.join(folder, f.path)), { recursive: true });
      await fs.writeFile(path.join(folder, f.path), f.contents);
    }
    const settings = { runtimeDir: path.join(REPO, 'runtime'), baseImage: BASE_IMAGE, maxMessageMB: 512 };
    const prepared = await prepareBuild(folder, settings);
    tag = prepared.tag;
    await buildImage(engine, prepared, settings, { network: 'none' });
    const input = path.join(work, 'rows.csv');
    await writeRows(input, rows);
    const inputMB = (await fs.stat(input)).size / 1e6;
    process.stderr.write(`cluster bench: ${rows} rows (${inputMB.toFixed(0)} MB CSV), ${partitions} partitions, ${os.cpus().length} cores\n`);

    const machineSeconds = await oneMachine(engine, tag, work, input, path.join(work, 'one.csv'));
    process.stderr.write(`  this machine (pyml batch, one container): ${machineSeconds.toFixed(1)} s\n`);
    const result: Record<string, unknown> = {
      cores: os.cpus().length,
      loadAverage: os.loadavg().map((l) => round(l, 2)),
      rows,
      inputMB: round(inputMB),
      partitions,
      thisMachine: { seconds: round(machineSeconds, 2), rowsPerSecond: Math.round(rows / machineSeconds) },
    };
    for (const workers of [1, 2]) {
      const started = Date.now();
      const done = await runClusterJob(engine, {
        where: { kind: 'local', workers, threadsPerWorker: 1 },
        image: tag,
        job: { inputs: [input], output: path.join(work, `out-${workers}`), keys: ['id'], partitions },
        shared: [work],
        prefix: 'cluster-bench',
      });
      const total = (Date.now() - started) / 1000;
      if (done.rows !== rows) throw new Error(`the cluster of ${workers} wrote ${done.rows} rows of ${rows}`);
      result[`cluster${workers}`] = {
        jobSeconds: round(done.seconds, 2),
        rowsPerSecond: Math.round(done.rows_per_second),
        withStartSeconds: round(total, 2),
        rowsPerSecondWithStart: Math.round(rows / total),
        ratioToThisMachine: round(done.rows_per_second / (rows / machineSeconds), 2),
      };
      process.stderr.write(`  local cluster of ${workers}: ${done.seconds.toFixed(1)} s job, ${total.toFixed(1)} s with cluster start\n`);
    }
    // Per-partition overhead: many tiny partitions (10 rows each) on one worker.
    const tiny = path.join(work, 'tiny.csv');
    await writeRows(tiny, 400);
    const tinyPartitions = 40;
    const tinyDone = await runClusterJob(engine, {
      where: { kind: 'local', workers: 1, threadsPerWorker: 1 },
      image: tag,
      job: { inputs: [tiny], output: path.join(work, 'out-tiny'), keys: ['id'], partitions: tinyPartitions },
      shared: [work],
      prefix: 'cluster-bench',
    });
    result['perPartitionOverhead'] = { partitions: tinyPartitions, rowsEach: 10, jobSeconds: round(tinyDone.seconds, 2), msPerPartition: round((tinyDone.seconds * 1000) / tinyPartitions) };
    const text = JSON.stringify(result, null, 2);
    console.log(text);
    if (jsonPath) await fs.writeFile(jsonPath, `${text}\n`);
  } finally {
    await removeLeftoverClusters(engine).catch(() => undefined);
    if (tag) await engine.docker.getImage(tag).remove({ force: true }).catch(() => undefined);
    await fs.rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exit(1);
});
