/**
 * One measured step of the batch benchmark, in a process of its own so that its peak memory is its
 * own (bench.ts starts it and reads the JSON line it prints):
 *
 *   gen   --output F --rows N [--nullable]        write N rows x 8 float64 columns of Parquet
 *   copy  --input F --output F [--rows-per-batch R] read -> write, no model (the baseline)
 *   run   --input F --output F --rows N [--rows-per-batch R] --folder D --image T [--no-shm] [--same-thread]
 *                                                  read -> container -> write (the extension's path: in a
 *                                                  batch thread, batches through shared memory; gRPC bytes
 *                                                  with --no-shm, on this thread with --same-thread)
 */
import * as arrow from 'apache-arrow';
import * as path from 'path';
import { containerPredictor, startBatchContainer } from '../../src/batch/container';
import { openSource } from '../../src/batch/readers';
import { rowsPerBatchFor } from '../../src/batch/batchSize';
import { checkInput, runBatch, type BatchProgress } from '../../src/batch/run';
import { runInContainerThread } from '../../src/batch/thread/runInThread';
import { batchesOf, tableOf } from '../../src/tables/source';
import { openSink } from '../../src/batch/writers/sink';
import { connectEngine } from '../../src/container/engine';
import type { ModelContainer } from '../../src/container/modelContainer';
import { loadManifest } from '../../src/model/manifest';

/** The batch thread's script as tsc writes it (out/src/batch/thread), next to this file's out/bench/batch. */
const BATCH_THREAD_SCRIPT = process.env['PYML_BATCH_THREAD'] ?? path.join(__dirname, '..', '..', 'src', 'batch', 'thread', 'batchThread.js');

const COLUMNS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function need(name: string): string {
  const v = arg(name);
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}

function peakRssMB(): number {
  return process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
}

/** CPU seconds (user + system) of this process so far. */
function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

interface ContainerStats {
  readonly memory_stats?: { max_usage?: number; usage?: number };
  readonly cpu_stats?: { cpu_usage?: { total_usage?: number } };
}

async function containerStats(model: ModelContainer): Promise<ContainerStats> {
  const stats: ContainerStats = await model.container.stats({ stream: false });
  return stats;
}

/** RSS in MiB of every process in the container (the supervisor, its workers, tini). */
async function containerRssMB(container: ModelContainer['container']): Promise<number> {
  const top = (await container.top({ ps_args: '-o pid,rss' })) as { Titles: string[]; Processes: string[][] };
  const rss = top.Titles.indexOf('RSS');
  return top.Processes.reduce((sum, p) => sum + Number(p[rss] ?? 0), 0) / 1024;
}

/** CPU seconds the container has used so far (its start and model load included). */
async function containerCpuSeconds(model: ModelContainer): Promise<number> {
  return ((await containerStats(model)).cpu_stats?.cpu_usage?.total_usage ?? 0) / 1e9;
}

async function gen(): Promise<Record<string, unknown>> {
  const rows = Number(need('rows'));
  const nullable = process.argv.includes('--nullable');
  const schema = new arrow.Schema(COLUMNS.map((c) => new arrow.Field(c, new arrow.Float64(), nullable)));
  const sink = await openSink({ output: need('output'), format: 'parquet', schema, compression: 'UNCOMPRESSED', rowGroupRows: 131072 });
  const chunk = 65536;
  let seed = 12345;
  const random = (): number => {
    // xorshift: reproducible inputs from run to run
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296 - 0.5;
  };
  for (let done = 0; done < rows; done += chunk) {
    const n = Math.min(chunk, rows - done);
    await sink.write(tableOf(schema, COLUMNS.map(() => arrow.makeVector(Float64Array.from({ length: n }, random)))));
  }
  const bytes = await sink.commit();
  return { rows, bytes, nullable };
}

async function copy(): Promise<Record<string, unknown>> {
  const source = await openSource({ kind: 'file', path: need('input') });
  const reads = COLUMNS.map((name) => ({ name, type: new arrow.Float64() }));
  const schema = new arrow.Schema(COLUMNS.map((c) => new arrow.Field(c, new arrow.Float64(), false)));
  const sink = await openSink({ output: need('output'), format: 'parquet', schema });
  const started = performance.now();
  const cpu0 = cpuSeconds();
  let rows = 0;
  const rowsPerBatch = rowsPerBatchFor(Number(arg('rows-per-batch') ?? 0), reads);
  for await (const batch of batchesOf(source, reads, rowsPerBatch)) {
    await sink.write(tableOf(schema, reads.map((_, j) => batch.table.getChildAt(j) as arrow.Vector)));
    rows += batch.table.numRows;
  }
  await sink.commit();
  await source.close();
  const seconds = (performance.now() - started) / 1000;
  return { rows, seconds, rowsPerSecond: rows / seconds, extensionPeakRssMB: peakRssMB(), extensionCpuSeconds: cpuSeconds(), extensionCpuSecondsOfRun: cpuSeconds() - cpu0 };
}

async function run(): Promise<Record<string, unknown>> {
  const folder = need('folder');
  const sameThread = process.argv.includes('--same-thread');
  const manifest = await loadManifest(folder);
  const engine = await connectEngine({ setting: '' });
  const source = await openSource({ kind: 'file', path: need('input') });
  const plan = checkInput(manifest, source.fields, []);
  // As the extension picks it: the setting's count, or sized by the input (src/batch/batchSize.ts).
  const rowsPerBatch = rowsPerBatchFor(Number(arg('rows-per-batch') ?? 0), plan.inputs);
  let model: ModelContainer | undefined;
  try {
    model = await startBatchContainer(engine, {
      folder,
      manifest,
      image: need('image'),
      settings: {
        network: false,
        memory: arg('container-memory') ?? '2g',
        cpus: 2,
        maxMessageMB: 512,
        protoPath: need('proto'),
        readyTimeoutMs: 120_000,
        // As the extension starts it (pyml.sharedMemory.* defaults); --no-shm: every byte through gRPC.
        ...(process.argv.includes('--no-shm') ? {} : { sharedMemory: { thresholdBytes: 2 ** 20 } }),
      },
    });
    // Resident memory by tenth of the rows: flat from the second tenth on means nothing accumulates.
    // The container's is the RSS of its processes (the engine's `top`), sampled at each tenth: its
    // cgroup's max_usage also counts the model's start and the page cache of what it read.
    const rssByTenth: number[] = [];
    const containerRssByTenth: number[] = [];
    const container = model.container;
    let sampling: Promise<void> = Promise.resolve();
    const sampleContainer = (tenth: number): void => {
      sampling = sampling.then(async () => {
        const mb = await containerRssMB(container).catch(() => undefined);
        if (mb !== undefined) containerRssByTenth[tenth] = Math.max(containerRssByTenth[tenth] ?? 0, mb);
      });
    };
    let lastTenth = -1;
    const totalRows = Number(need('rows'));
    const containerCpu0 = await containerCpuSeconds(model);
    const runCpu0 = cpuSeconds();
    const onProgress = (p: BatchProgress): void => {
      const tenth = Math.min(9, Math.floor((p.rowsDone / totalRows) * 10));
      rssByTenth[tenth] = Math.max(rssByTenth[tenth] ?? 0, process.memoryUsage.rss() / 2 ** 20);
      if (tenth !== lastTenth) sampleContainer(tenth);
      lastTenth = tenth;
    };
    const inFlight = arg('in-flight') ? { inFlight: Number(arg('in-flight')) } : {};
    // As the extension runs a file input: in a batch thread (src/batch/thread); --same-thread: in this
    // thread, as the run did before (for comparison).
    const result = sameThread
      ? await runBatch({ onProgress, model: manifest, source, plan, predictor: containerPredictor(model, 600_000), output: need('output'), format: 'parquet', rowsPerBatch, ...inFlight })
      : await runInContainerThread(
          model,
          { input: { kind: 'file', path: need('input') }, model: manifest, keys: [], output: need('output'), format: 'parquet', rowsPerBatch, requestTimeoutMs: 600_000, ...inFlight },
          { script: BATCH_THREAD_SCRIPT, onProgress },
        );
    const runCpu = cpuSeconds() - runCpu0;
    sampleContainer(9);
    await sampling;
    const stats = await containerStats(model);
    const seconds = result.elapsedMs / 1000;
    return {
      rowsPerBatch,
      extensionCpuSecondsOfRun: runCpu,
      rows: result.rows,
      batches: result.batches,
      seconds,
      rowsPerSecond: result.rows / seconds,
      extensionPeakRssMB: peakRssMB(),
      extensionRssMBByTenth: rssByTenth.map((mb) => Math.round(mb)),
      containerPeakRssMB: Math.max(...containerRssByTenth.filter((mb) => mb > 0)),
      containerRssMBByTenth: containerRssByTenth.map((mb) => Math.round(mb)),
      containerCgroupMaxMB: (stats.memory_stats?.max_usage ?? 0) / 2 ** 20,
      // CPU seconds each side spent (the container's includes its start and model load): less
      // sensitive than rows/s to what else the machine runs.
      extensionCpuSeconds: cpuSeconds(),
      containerCpuSeconds: (stats.cpu_stats?.cpu_usage?.total_usage ?? 0) / 1e9,
      containerCpuSecondsOfRun: (stats.cpu_stats?.cpu_usage?.total_usage ?? 0) / 1e9 - containerCpu0,
      outputBytes: result.bytes,
      sharedMemory: model.client.sharedMemory ? (model.client.sharedMemory.disabledReason ?? 'used') : 'off',
    };
  } finally {
    await source.close();
    await model?.stop(2);
  }
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  const result = mode === 'gen' ? await gen() : mode === 'copy' ? await copy() : mode === 'run' ? await run() : undefined;
  if (!result) throw new Error('usage: worker.js gen|copy|run ...');
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
