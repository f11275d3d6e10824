/**
 * Serving bench: C concurrent clients, each sending 1-row requests one after the other (closed loop) to
 * a DataFrame model in its container (bench/serving/scorer), with one worker process and with two,
 * in the same run, with two load generators: h2load (bench/serving/h2load.ts: light, so the server
 * has the cores; the ratio the issue asks for) and the extension's own client (src/protocol/v2client.ts,
 * which spreads the calls over the workers' sockets; the figure a user of the extension gets on a
 * machine whose cores it shares); and with two workers through the forwarder alone (a client that
 * only knows the main address, as any other V2 client). Reports requests/s, p50/p99 latency, errors,
 * CPU per request on each side, the server's memory (RSS of every process in the container, sampled
 * while the requests run) and the ratios of two workers to one; prints the load average and cores.
 *
 *   npm run compile-tests && node out/bench/serving/servingBench.js [--requests 100000]
 *       [--baseline-requests 30000] [--clients 8] [--cpus 2] [--json PATH]
 *
 * Needs dockerd, the base image (PYML_TEST_BASE_IMAGE, default pyml-base:bookworm) and h2load
 * (`node scripts/setup.mjs --only loadgen`); builds the
 * model image and removes it, its containers and its files at the end.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
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
import { INFER_PATH, grpcFrame, runH2load } from './h2load';

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

/** Which client sends the requests: the extension's own (grpc-js), or h2load (h2load.ts). */
type Generator = 'pyml' | 'h2load';

interface Phase {
  readonly label: string;
  readonly workers: number;
  readonly balance: boolean;
  readonly generator: Generator;
  readonly requests: number;
  readonly sampleMemory: boolean;
}

/** Samples the container's memory while a phase runs, in the order taken. */
class MemorySampler {
  readonly samples: { afterRequests: number; totalMB: number }[] = [];
  readonly errors: string[] = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly engine: Engine, private readonly id: string) {}

  sample(afterRequests: number): void {
    this.chain = this.chain
      .then(async () => {
        this.samples.push({ afterRequests, totalMB: (await containerRss(this.engine, this.id)).totalMB });
      })
      .catch((err: unknown) => {
        this.errors.push(err instanceof Error ? err.message : String(err));
      });
  }

  async report(): Promise<Record<string, unknown>> {
    await this.chain;
    const first = this.samples.find((m) => m.afterRequests > 0) ?? this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last) return { samplingErrors: this.errors.slice(0, 3) };
    return {
      samplesMB: this.samples,
      firstMB: first.totalMB,
      lastMB: last.totalMB,
      peakMB: Math.max(...this.samples.map((m) => m.totalMB)),
      growthRatio: round(last.totalMB / first.totalMB, 3),
      flatWithin10Percent: Math.abs(last.totalMB / first.totalMB - 1) <= 0.1,
      processes: (await containerRss(this.engine, this.id)).processes,
      ...(this.errors.length ? { samplingErrors: this.errors.slice(0, 3) } : {}),
    };
  }
}

/** What every phase reports, from its measurements. */
async function phaseReport(
  phase: Phase,
  clients: number,
  m: { seconds: number; latenciesMs: Float64Array; serverCpuMs: number; clientCpuMs: number; errors: number; warmupErrors: number; firstError: string; load: { before: number[]; after: number[] }; memory?: MemorySampler },
): Promise<Record<string, unknown>> {
  const sorted = m.latenciesMs;
  return {
    phase: phase.label,
    workers: phase.workers,
    client: `${phase.generator === 'pyml' ? 'PyML client (grpc-js)' : 'h2load (nghttp2, C)'}, ${phase.balance ? 'spread over the worker sockets' : 'main address only (the forwarder)'}`,
    clients,
    requests: phase.requests,
    seconds: round(m.seconds, 2),
    requestsPerSecond: Math.round(phase.requests / m.seconds),
    latencyMs: { p50: round(percentile(sorted, 50), 2), p90: round(percentile(sorted, 90), 2), p99: round(percentile(sorted, 99), 2), max: round(sorted[sorted.length - 1] ?? NaN, 2) },
    // CPU time per request: the container (every worker and the forwarder) and the load generator.
    cpuMsPerRequest: { server: round(m.serverCpuMs / phase.requests, 3), clients: round(m.clientCpuMs / phase.requests, 3) },
    errors: m.errors,
    warmupErrors: m.warmupErrors,
    ...(m.firstError ? { firstError: m.firstError } : {}),
    loadAverage: m.load,
    ...(m.memory ? { memory: await m.memory.report() } : {}),
  };
}

/** C clients of the extension's own V2Client, each sending one request after the other. */
async function runPymlPhase(engine: Engine, model: ModelContainer, modelName: string, clients: number, phase: Phase): Promise<Record<string, unknown>> {
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
    const memory = phase.sampleMemory ? new MemorySampler(engine, model.info.id) : undefined;
    let issued = 0;
    let done = 0;
    const sampleEvery = Math.max(1, Math.floor(phase.requests / MEMORY_SAMPLES));
    memory?.sample(0);
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
        if (done % sampleEvery === 0) memory?.sample(done);
      }
    }));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const clientCpu = process.cpuUsage(clientCpu0);
    load.after = loadavg();
    const serverCpuMs = (await containerCpuMs(engine, model.info.id)) - serverCpu0;
    return await phaseReport(phase, clients, {
      seconds,
      latenciesMs: latencies.slice().sort(),
      serverCpuMs,
      clientCpuMs: (clientCpu.user + clientCpu.system) / 1000,
      errors: errors - warmupErrors,
      warmupErrors,
      firstError,
      load,
      ...(memory ? { memory } : {}),
    });
  } finally {
    for (const c of pool) c.close();
  }
}

const proto = protoLoader.loadSync(PROTO, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
const inferMethod = (proto['inference.GRPCInferenceService'] as protoLoader.ServiceDefinition)['ModelInfer'] as protoLoader.MethodDefinition<object, object>;

/** One ModelInfer call with the message bytes as they are, both ways. */
function rawInfer(socket: string, message: Buffer): Promise<Buffer> {
  const client = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure());
  return new Promise<Buffer>((resolve, reject) => {
    client.makeUnaryRequest(INFER_PATH, (b: Buffer) => b, (b: Buffer) => b, message, { deadline: Date.now() + 30_000 }, (err, answer) => {
      if (err || !answer) reject(err ?? new Error('no answer'));
      else resolve(answer);
    });
  }).finally(() => {
    client.close();
  });
}

/** C h2load connections, split over the worker sockets, each sending the same request one after the other. */
async function runH2loadPhase(engine: Engine, model: ModelContainer, modelName: string, clients: number, phase: Phase, work: string): Promise<Record<string, unknown>> {
  const probe = new V2Client(model.info.address, { protoPath: PROTO, maxMessageBytes: 64 << 20 });
  let workers: string[];
  try {
    workers = await probe.workerAddresses();
  } finally {
    probe.close();
  }
  const expected = phase.workers > 1 ? phase.workers : 0;
  if (workers.length !== expected) throw new Error(`${phase.label}: the server names ${workers.length} worker sockets, expected ${expected}`);
  const sockets = (workers.length ? workers : [model.info.address]).map((a) => a.replace(/^unix:\/\//, ''));
  // One request, sent every time. Every answer to it must be the same size (a worker may order the map
  // entries of its parameters differently: Python's string hashing is per process) and be the model's.
  const message = Buffer.from(inferMethod.requestSerialize(request(modelName, 7)));
  const bodyFile = path.join(work, 'request.bin');
  await fs.writeFile(bodyFile, grpcFrame(message));
  const answers = await Promise.all(sockets.map((s) => rawInfer(s, message)));
  const answer = answers[0] as Buffer;
  if (answers.some((a) => a.byteLength !== answer.byteLength)) throw new Error(`${phase.label}: the workers answer the same request with ${answers.map((a) => a.byteLength).join(', ')} bytes`);
  for (const a of answers) {
    const decoded = inferMethod.responseDeserialize(a) as { outputs?: { name: string }[] };
    const names = decoded.outputs?.map((o) => o.name).join(',');
    if (names !== 'score,band') throw new Error(`${phase.label}: the answer has outputs ${names ?? '(none)'}, expected score,band`);
  }
  const run = (requests: number): ReturnType<typeof runH2load> => runH2load({ sockets, clients, requests, bodyFile, answerFrameBytes: answer.byteLength + 5, workDir: work });
  const warmup = await run(clients * WARMUP_PER_CLIENT);
  const warmupErrors = warmup.requests - warmup.answered + warmup.httpFailures;
  const memory = phase.sampleMemory ? new MemorySampler(engine, model.info.id) : undefined;
  memory?.sample(0);
  const load = { before: loadavg(), after: [] as number[] };
  const serverCpu0 = await containerCpuMs(engine, model.info.id);
  // h2load does not say how far it is: sample the memory on a clock, labelled with the time in ms.
  const started = Date.now();
  const clock = memory ? setInterval(() => {
    memory.sample(Date.now() - started);
  }, 5000) : undefined;
  const result = await run(phase.requests).finally(() => {
    clearInterval(clock);
  });
  load.after = loadavg();
  const serverCpuMs = (await containerCpuMs(engine, model.info.id)) - serverCpu0;
  const errors = result.requests - result.answered + result.httpFailures;
  return phaseReport(phase, clients, {
    seconds: result.seconds,
    latenciesMs: result.latenciesMs,
    serverCpuMs,
    clientCpuMs: result.cpuMs,
    errors,
    warmupErrors,
    firstError: errors ? `${result.requests - result.answered} answers without a message (a grpc-status error), ${result.httpFailures} HTTP failures` : '',
    load,
    ...(memory ? { memory } : {}),
  });
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
  // One container per worker count; each runs its phases one after the other.
  const groups: { workers: number; phases: Phase[] }[] = [
    {
      workers: 1,
      phases: [
        { label: '1 worker, h2load', workers: 1, balance: true, generator: 'h2load', requests: baselineRequests, sampleMemory: false },
        { label: '1 worker, PyML client', workers: 1, balance: true, generator: 'pyml', requests: baselineRequests, sampleMemory: false },
      ],
    },
    {
      workers: 2,
      phases: [
        { label: '2 workers, h2load', workers: 2, balance: true, generator: 'h2load', requests, sampleMemory: true },
        { label: '2 workers, PyML client', workers: 2, balance: true, generator: 'pyml', requests, sampleMemory: true },
        { label: '2 workers, forwarder only', workers: 2, balance: false, generator: 'pyml', requests: baselineRequests, sampleMemory: false },
      ],
    },
  ];
  const results = new Map<string, Record<string, unknown>>();
  try {
    const built = await buildImage(engine, prepared, settings);
    for (const group of groups) {
      const model = await startModel(engine, {
        folder,
        manifest: prepared.manifest,
        image: built.tag,
        mode: 'run',
        settings: { network: false, memory: '2g', cpus, workers: group.workers, maxMessageMB: 64, protoPath: PROTO, readyTimeoutMs: 300_000 },
      });
      try {
        for (const phase of group.phases) {
          console.error(`serving bench: ${phase.label}, ${clients} clients x ${phase.requests} 1-row requests`);
          const result = phase.generator === 'h2load'
            ? await runH2loadPhase(engine, model, modelName, clients, phase, work)
            : await runPymlPhase(engine, model, modelName, clients, phase);
          console.error(`  ${String(result['requestsPerSecond'])} requests/s, p99 ${JSON.stringify((result['latencyMs'] as { p99: number }).p99)} ms, ${String(result['errors'])} errors`);
          results.set(phase.label, result);
        }
      } finally {
        await model.stop(5);
      }
    }
  } finally {
    await engine.docker.getImage(prepared.tag).remove({ force: true }).catch(() => undefined);
    await fs.rm(work, { recursive: true, force: true });
  }
  const rps = (label: string): number => Number(results.get(label)?.['requestsPerSecond'] ?? NaN);
  const all = [...results.values()];
  const errors = all.reduce((s, r) => s + Number(r['errors'] ?? 0), 0);
  const growth = (label: string): number | undefined => (results.get(label)?.['memory'] as { growthRatio?: number } | undefined)?.growthRatio;
  const growths = { h2load: growth('2 workers, h2load'), pymlClient: growth('2 workers, PyML client') };
  const report = {
    name: `serving: ${clients} concurrent clients x 1-row requests to a DataFrame model, 1 vs 2 worker processes (container --cpus ${cpus})`,
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', loadAverageAtEnd: loadavg(), node: process.version },
    results: all,
    // The server's scaling, with a load generator that leaves the cores to the server (h2load.ts says why).
    ratioTwoWorkersToOne: round(rps('2 workers, h2load') / rps('1 worker, h2load'), 2),
    // The same with the extension's own client as the load, sharing the machine's cores with the workers.
    ratioTwoWorkersToOnePymlClient: round(rps('2 workers, PyML client') / rps('1 worker, PyML client'), 2),
    target: 'two workers >= 1.6x one worker; memory within 10% over the two-worker run; no errors',
    ratioForwarderOnlyToOne: round(rps('2 workers, forwarder only') / rps('1 worker, PyML client'), 2),
    memoryGrowthRatioTwoWorkers: growths,
    memoryFlat: Object.values(growths).every((g) => g !== undefined && Math.abs(g - 1) <= 0.1),
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
