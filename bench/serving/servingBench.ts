/**
 * Serving bench: C concurrent clients, each sending 1-row requests one after the other (closed loop) to
 * a DataFrame model in its container (bench/serving/scorer), with one worker process and with two,
 * in the same run, through the extension's own client (src/protocol/v2client.ts, which spreads the
 * calls over the workers' sockets); and with two workers through the forwarder alone (a client that
 * only knows the main address, as any other V2 client). Reports requests/s, p50/p99 latency, errors,
 * the server's memory (RSS of every process in the container, sampled while the requests run) and
 * the ratio of two workers to one; prints the load average and core count.
 *
 *   npm run compile-tests && node out/bench/serving/servingBench.js [--requests 100000]
 *       [--baseline-requests 30000] [--clients 8] [--cpus 2] [--json PATH]
 *
 * Needs dockerd and the base image (PYML_TEST_BASE_IMAGE, default pyml-base:bookworm); builds the
 * model image and removes it, its containers and its files at the end.
 */
import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { connectEngine, type Engine } from '../../src/container/engine';
import { buildImage, prepareBuild } from '../../src/container/imageBuild';
import type { ModelContainer } from '../../src/container/modelContainer';
import { startModel } from '../../src/container/runContainer';
import { V2Client } from '../../src/protocol/v2client';
import type { ModelInferRequest } from '../../src/protocol/v2types';

const REPO = path.resolve(__dirname, '..', '..', '..');
const BASE_IMAGE = process.env['PYML_TEST_BASE_IMAGE'] ?? 'pyml-base:bookworm';
const PROTO = path.join(REPO, 'runtime', 'pyml', 'proto', 'grpc_predict_v2.proto');
const WARMUP_PER_CLIENT = 200;
const MEMORY_SAMPLES = 10;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;
const loadavg = (): number[] => os.loadavg().map((l) => round(l, 2));

/** A 1-row request of the scorer model, raw contents. */
function request(model: string, i: number): ModelInferRequest {
  const column = (v: number): Buffer => {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    return b;
  };
  const names = ['tenure', 'charges', 'calls', 'age'];
  return {
    model_name: model,
    parameters: { content_type: { string_param: 'pd' } },
    inputs: names.map((name) => ({ name, datatype: 'FP64', shape: [1] })),
    raw_input_contents: [column(i % 72), column(20 + (i % 100)), column(i % 5), column(18 + (i % 60))],
  };
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** RSS in MiB of every process of the container (the supervisor, its workers, tini), from the engine's `top`. */
async function containerRss(engine: Engine, id: string): Promise<{ totalMB: number; processes: { rssMB: number; command: string }[] }> {
  const top = (await engine.docker.getContainer(id).top({ ps_args: '-o pid,rss,args' })) as { Titles: string[]; Processes: string[][] };
  const rss = top.Titles.indexOf('RSS');
  const args = top.Titles.indexOf('COMMAND');
  const processes = top.Processes.map((p) => ({ rssMB: round(Number(p[rss] ?? 0) / 1024), command: (p[args] ?? '').slice(0, 120) }));
  return { totalMB: round(processes.reduce((s, p) => s + p.rssMB, 0)), processes };
}

/** CPU time the container's processes have used, in ms (the cgroup's counter, through the engine). */
async function containerCpuMs(engine: Engine, id: string): Promise<number> {
  const stats = (await engine.docker.getContainer(id).stats({ stream: false })) as { cpu_stats: { cpu_usage: { total_usage: number } } };
  return stats.cpu_stats.cpu_usage.total_usage / 1e6;
}

interface Phase {
  readonly label: string;
  readonly workers: number;
  readonly balance: boolean;
  readonly requests: number;
  readonly sampleMemory: boolean;
}

async function runPhase(engine: Engine, model: ModelContainer, modelName: string, clients: number, phase: Phase): Promise<Record<string, unknown>> {
  const address = model.info.address;
  const pool = Array.from({ length: clients }, () => new V2Client(address, { protoPath: PROTO, maxMessageBytes: 64 << 20, balanceWorkers: phase.balance }));
  try {
    const seen = await Promise.all(pool.map((c) => c.workerCount()));
    const expected = phase.balance && phase.workers > 1 ? phase.workers : 0;
    if (seen.some((n) => n !== expected)) throw new Error(`${phase.label}: the clients see ${seen.join(',')} worker sockets, expected ${expected}`);
    let errors = 0;
    let firstError = '';
    const send = async (c: V2Client, i: number): Promise<void> => {
      try {
        await c.modelInfer(request(modelName, i), { deadlineMs: 120_000 });
      } catch (err) {
        errors++;
        firstError ||= err instanceof Error ? err.message : String(err);
      }
    };
    // Warm up: connections, the server's request layouts, the JIT.
    await Promise.all(pool.map(async (c, k) => {
      for (let i = 0; i < WARMUP_PER_CLIENT; i++) await send(c, k * WARMUP_PER_CLIENT + i);
    }));
    const warmupErrors = errors;
    const latencies = new Float64Array(phase.requests);
    const memory: { afterRequests: number; totalMB: number }[] = [];
    const memoryErrors: string[] = [];
    let issued = 0;
    let done = 0;
    let sampling: Promise<void> = Promise.resolve();
    const sampleEvery = Math.max(1, Math.floor(phase.requests / MEMORY_SAMPLES));
    const sample = (): void => {
      const at = done;
      sampling = sampling
        .then(async () => {
          memory.push({ afterRequests: at, totalMB: (await containerRss(engine, model.info.id)).totalMB });
        })
        .catch((err: unknown) => {
          memoryErrors.push(err instanceof Error ? err.message : String(err));
        });
    };
    if (phase.sampleMemory) sample();
    const load = { before: loadavg(), after: [] as number[] };
    const serverCpu0 = await containerCpuMs(engine, model.info.id);
    const clientCpu0 = process.cpuUsage();
    const started = process.hrtime.bigint();
    await Promise.all(pool.map(async (c) => {
      for (;;) {
        const i = issued++;
        if (i >= phase.requests) return;
        const t0 = process.hrtime.bigint();
        await send(c, i);
        latencies[i] = Number(process.hrtime.bigint() - t0) / 1e6;
        done++;
        if (phase.sampleMemory && done % sampleEvery === 0) sample();
      }
    }));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const clientCpu = process.cpuUsage(clientCpu0);
    load.after = loadavg();
    const serverCpuMs = (await containerCpuMs(engine, model.info.id)) - serverCpu0;
    await sampling;
    const sorted = latencies.slice().sort();
    const processes = phase.sampleMemory ? (await containerRss(engine, model.info.id)).processes : undefined;
    const first = memory.find((m) => m.afterRequests > 0) ?? memory[0];
    const last = memory[memory.length - 1];
    return {
      phase: phase.label,
      workers: phase.workers,
      client: phase.balance ? 'PyML client (spreads over worker sockets)' : 'main address only (the forwarder)',
      clients,
      requests: phase.requests,
      seconds: round(seconds, 2),
      requestsPerSecond: Math.round(phase.requests / seconds),
      latencyMs: { p50: round(percentile(sorted, 50), 2), p90: round(percentile(sorted, 90), 2), p99: round(percentile(sorted, 99), 2), max: round(sorted[sorted.length - 1] ?? NaN, 2) },
      // CPU time per request: the container (every worker and the forwarder) and this process (the clients).
      cpuMsPerRequest: {
        server: round(serverCpuMs / phase.requests, 3),
        clients: round((clientCpu.user + clientCpu.system) / 1000 / phase.requests, 3),
      },
      errors: errors - warmupErrors,
      warmupErrors,
      ...(firstError ? { firstError } : {}),
      loadAverage: load,
      ...(phase.sampleMemory && first && last
        ? {
            memory: {
              samplesMB: memory,
              firstMB: first.totalMB,
              lastMB: last.totalMB,
              peakMB: Math.max(...memory.map((m) => m.totalMB)),
              growthRatio: round(last.totalMB / first.totalMB, 3),
              flatWithin10Percent: Math.abs(last.totalMB / first.totalMB - 1) <= 0.1,
              processes,
              ...(memoryErrors.length ? { samplingErrors: memoryErrors.slice(0, 3) } : {}),
            },
          }
        : {}),
    };
  } finally {
    for (const c of pool) c.close();
  }
}

async function main(): Promise<void> {
  const requests = Number(arg('requests', '100000'));
  const baselineRequests = Number(arg('baseline-requests', '30000'));
  const clients = Number(arg('clients', '8'));
  const cpus = Number(arg('cpus', '2'));
  const jsonPath = arg('json', '');
  const engine = await connectEngine({ setting: '' });
  await engine.docker.getImage(BASE_IMAGE).inspect().catch(() => {
    throw new Error(`the base image ${BASE_IMAGE} is missing: run \`node scripts/setup.mjs --only docker,image\` (or set PYML_TEST_BASE_IMAGE)`);
  });
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'pyml-bench-serving-'));
  const folder = path.join(work, 'scorer');
  await fs.cp(path.join(REPO, 'bench', 'serving', 'scorer'), folder, { recursive: true });
  const modelName = `workers-bench-${randomBytes(3).toString('hex')}`;
  const manifestFile = path.join(folder, 'pyml.yaml');
  await fs.writeFile(manifestFile, (await fs.readFile(manifestFile, 'utf8')).replace(/^name: .*$/m, `name: ${modelName}`));
  const settings = { runtimeDir: path.join(REPO, 'runtime'), baseImage: BASE_IMAGE, maxMessageMB: 64 };
  const prepared = await prepareBuild(folder, settings);
  const phases: Phase[] = [
    { label: '1 worker', workers: 1, balance: true, requests: baselineRequests, sampleMemory: true },
    { label: '2 workers', workers: 2, balance: true, requests, sampleMemory: true },
    { label: '2 workers, forwarder only', workers: 2, balance: false, requests: baselineRequests, sampleMemory: false },
  ];
  const results: Record<string, unknown>[] = [];
  try {
    const built = await buildImage(engine, prepared, settings);
    for (const phase of phases) {
      const model = await startModel(engine, {
        folder,
        manifest: prepared.manifest,
        image: built.tag,
        mode: 'run',
        settings: { network: false, memory: '2g', cpus, workers: phase.workers, maxMessageMB: 64, protoPath: PROTO, readyTimeoutMs: 300_000 },
      });
      try {
        console.error(`serving bench: ${phase.label}, ${clients} clients x ${phase.requests} 1-row requests`);
        const result = await runPhase(engine, model, modelName, clients, phase);
        console.error(`  ${String(result['requestsPerSecond'])} requests/s, p99 ${JSON.stringify((result['latencyMs'] as { p99: number }).p99)} ms, ${String(result['errors'])} errors`);
        results.push(result);
      } finally {
        await model.stop(5);
      }
    }
  } finally {
    await engine.docker.getImage(prepared.tag).remove({ force: true }).catch(() => undefined);
    await fs.rm(work, { recursive: true, force: true });
  }
  const rps = (i: number): number => Number(results[i]?.['requestsPerSecond'] ?? NaN);
  const errors = results.reduce((s, r) => s + Number(r['errors'] ?? 0), 0);
  const memory = results[1]?.['memory'] as { growthRatio: number; flatWithin10Percent: boolean } | undefined;
  const report = {
    name: `serving: ${clients} concurrent clients x 1-row requests to a DataFrame model, 1 vs 2 worker processes (container --cpus ${cpus})`,
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', loadAverageAtEnd: loadavg(), node: process.version },
    results,
    ratioTwoWorkersToOne: round(rps(1) / rps(0), 2),
    target: 'two workers >= 1.6x one worker; memory within 10% over the two-worker run; no errors',
    ratioForwarderOnlyToOne: round(rps(2) / rps(0), 2),
    memoryGrowthRatioTwoWorkers: memory?.growthRatio,
    memoryFlat: memory?.flatWithin10Percent,
    errors,
  };
  const json = JSON.stringify(report, null, 2);
  console.log(json);
  if (jsonPath) await fs.writeFile(jsonPath, `${json}\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : String(err));
  process.exit(1);
});
