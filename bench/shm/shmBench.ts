/**
 * Shared-memory benchmark: a 1M x 8 FP64 DataFrame (64 MB) round trip from an Arrow table to an
 * Arrow table through the panel's path (src/predict/infer.ts runInference) to the identity model in
 * its container, three ways in the same run, alternating:
 *
 *   grpc     every byte in the gRPC messages (a V2Client with shared memory off)
 *   shm      inputs and outputs through the container's /dev/shm region folder (Triton's system
 *            shared-memory extension; the ModelContainer's own client, as the panel and batch use it),
 *            each answer handed back once checked (InferOutcome.release), so the next is read into
 *            memory already touched: what batch does after writing each answer out, and the panel
 *            once an answer leaves its kept history (its 9th big answer on)
 *   shm-new  the same through a second shared-memory client that is never handed answers back: each
 *            answer read into new memory, as the panel's first big answers are
 *
 * Effective throughput = (request bytes + response bytes) / wall time of the round trip; the ratios
 * to grpc and the 1 GB/s target (judged on shm) are reported with the machine's cores and load
 * average. Outputs are checked equal to the inputs, bit for bit, every way.
 *
 *   npm run compile-tests && node out/bench/shm/shmBench.js [--rows 1000000] [--runs 5] [--json PATH]
 *
 * Needs dockerd and the base image (PYML_TEST_BASE_IMAGE, default pyml-base:bookworm); builds the
 * model image from bench/shm/identity8 and removes it, its container and its files at the end.
 */
import * as arrow from 'apache-arrow';
import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { connectEngine } from '../../src/container/engine';
import { buildImage, prepareBuild } from '../../src/container/imageBuild';
import type { ModelContainer } from '../../src/container/modelContainer';
import { startModel } from '../../src/container/runContainer';
import { runInference } from '../../src/predict/infer';
import type { AnyTable } from '../../src/protocol/arrowCodec';
import { V2Client } from '../../src/protocol/v2client';

const REPO = path.resolve(__dirname, '..', '..', '..');
const BASE_IMAGE = process.env['PYML_TEST_BASE_IMAGE'] ?? 'pyml-base:bookworm';
const PROTO = path.join(REPO, 'runtime', 'pyml', 'proto', 'grpc_predict_v2.proto');
const MAX_MESSAGE_MB = 512;
const TARGET_BYTES_PER_SECOND = 1e9;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

function table(rows: number): AnyTable {
  const columns: Record<string, arrow.Vector> = {};
  'abcdefgh'.split('').forEach((name, c) => {
    const v = new Float64Array(rows);
    for (let r = 0; r < rows; r++) v[r] = Math.sin(r * 0.001 + c) * 1e3 + r;
    columns[name] = arrow.makeVector(v);
  });
  return new arrow.Table(columns) as AnyTable;
}

/** The output table equals the input, bit for bit. */
function checkEqual(input: AnyTable, output: AnyTable, way: string): void {
  for (const field of input.schema.fields) {
    const a = input.getChild(field.name)?.toArray() as Float64Array | undefined;
    const b = output.getChild(field.name)?.toArray() as Float64Array | undefined;
    if (!a || !b || a.length !== b.length) throw new Error(`${way}: column ${field.name} came back with ${b?.length ?? 0} rows, not ${a?.length ?? 0}`);
    const x = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    const y = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    if (!x.equals(y)) throw new Error(`${way}: column ${field.name} differs from the input`);
  }
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};
const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const rows = Number(arg('rows', '1000000'));
  const runs = Number(arg('runs', '5'));
  const jsonPath = arg('json', '');
  const engine = await connectEngine({ setting: '' });
  await engine.docker.getImage(BASE_IMAGE).inspect().catch(() => {
    throw new Error(`the base image ${BASE_IMAGE} is missing: run \`node scripts/setup.mjs --only docker,image\` (or set PYML_TEST_BASE_IMAGE)`);
  });
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'pyml-bench-shm-'));
  const folder = path.join(work, 'identity8');
  await fs.cp(path.join(REPO, 'bench', 'shm', 'identity8'), folder, { recursive: true });
  const manifestFile = path.join(folder, 'pyml.yaml');
  const modelName = `shm-bench-identity8-${randomBytes(3).toString('hex')}`;
  await fs.writeFile(manifestFile, (await fs.readFile(manifestFile, 'utf8')).replace(/^name: .*$/m, `name: ${modelName}`));
  const settings = { runtimeDir: path.join(REPO, 'runtime'), baseImage: BASE_IMAGE, maxMessageMB: MAX_MESSAGE_MB };
  const prepared = await prepareBuild(folder, settings);
  let model: ModelContainer | undefined;
  let grpcClient: V2Client | undefined;
  let newMemoryClient: V2Client | undefined;
  try {
    const built = await buildImage(engine, prepared, settings);
    model = await startModel(engine, {
      folder,
      manifest: prepared.manifest,
      image: built.tag,
      mode: 'run',
      settings: { network: false, memory: '4g', cpus: os.cpus().length, maxMessageMB: MAX_MESSAGE_MB, protoPath: PROTO, sharedMemory: { thresholdBytes: 2 ** 20 } },
    });
    const shmClient = model.client;
    if (!shmClient.sharedMemory) throw new Error('the model container has no shared-memory folder (Linux with /dev/shm and a local engine needed)');
    const clientOptions = { protoPath: PROTO, maxMessageBytes: MAX_MESSAGE_MB * 2 ** 20 };
    grpcClient = new V2Client(model.info.address, { ...clientOptions, sharedMemory: false });
    const shmDir = model.info.shmDir;
    if (!shmDir) throw new Error('the model container has no shared-memory folder');
    newMemoryClient = new V2Client(model.info.address, { ...clientOptions, sharedMemory: { dir: shmDir, thresholdBytes: 2 ** 20 } });
    const input = table(rows);
    const ways = { grpc: grpcClient, shm: shmClient, 'shm-new': newMemoryClient } as const;
    const samples: Record<keyof typeof ways, number[]> = { grpc: [], shm: [], 'shm-new': [] };
    let bytes = 0;
    for (let i = -1; i < runs; i++) {
      for (const way of ['grpc', 'shm', 'shm-new'] as const) {
        const started = performance.now();
        const outcome = await runInference(ways[way], modelName, { kind: 'table', table: input }, { deadlineMs: 300_000 });
        const ms = performance.now() - started;
        checkEqual(input, outcome.table, way);
        if (way === 'shm') outcome.release();
        bytes = outcome.sizes.requestBytes + outcome.sizes.responseBytes;
        if (i >= 0) samples[way].push(ms); // the first round warms both paths up
        console.log(`${way} run ${i + 1}: ${ms.toFixed(1)} ms`);
      }
    }
    for (const client of [shmClient, newMemoryClient]) {
      const reason = client.sharedMemory?.disabledReason;
      if (reason) throw new Error(`shared memory was not used: ${reason}`);
    }
    // What touching the output's memory costs on this machine: a fresh 64 MB typed array filled (page
    // faults). Each array is kept until the three are done, so none reuses memory freed by the last.
    const touch: number[] = [];
    const held: Float64Array[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      held.push(new Float64Array(rows * 8).fill(1));
      touch.push(performance.now() - t);
    }
    held.length = 0;
    const grpcMs = median(samples.grpc);
    const shmMs = median(samples.shm);
    const newMs = median(samples['shm-new']);
    const gbps = (ms: number): number => bytes / (ms / 1000) / 1e9;
    const result = {
      name: `${rows} x 8 FP64 round trip (Arrow -> container identity model -> Arrow), shared memory vs gRPC bytes`,
      machine: { cores: os.cpus().length, loadAverage: os.loadavg().map((l) => round(l, 2)) },
      rows,
      runs,
      bytesPerRoundTrip: bytes,
      grpc: { medianMs: round(grpcMs), samplesMs: samples.grpc.map((s) => round(s)), effectiveGBps: round(gbps(grpcMs), 3) },
      shm: { medianMs: round(shmMs), samplesMs: samples.shm.map((s) => round(s)), effectiveGBps: round(gbps(shmMs), 3) },
      shmIntoNewMemory: { medianMs: round(newMs), samplesMs: samples['shm-new'].map((s) => round(s)), effectiveGBps: round(gbps(newMs), 3) },
      shmSpeedupRatio: round(grpcMs / shmMs, 2),
      shmIntoNewMemorySpeedupRatio: round(grpcMs / newMs, 2),
      freshMemoryTouchMedianMs: round(median(touch)),
      targetGBps: TARGET_BYTES_PER_SECOND / 1e9,
      targetMet: gbps(shmMs) * 1e9 >= TARGET_BYTES_PER_SECOND,
    };
    console.log(JSON.stringify(result, null, 2));
    console.log(
      `shared memory ${result.shm.effectiveGBps} GB/s (median ${result.shm.medianMs} ms) vs gRPC bytes ${result.grpc.effectiveGBps} GB/s ` +
        `(median ${result.grpc.medianMs} ms): ${result.shmSpeedupRatio}x; target 1 GB/s ${result.targetMet ? 'met' : 'NOT met'}; ` +
        `answers read into new memory ${result.shmIntoNewMemory.effectiveGBps} GB/s (median ${result.shmIntoNewMemory.medianMs} ms, ${result.shmIntoNewMemorySpeedupRatio}x); ` +
        `${result.machine.cores} cores, load average ${result.machine.loadAverage.join(' ')}; ` +
        `filling a fresh ${(rows * 64) / 1e6} MB array alone takes ${result.freshMemoryTouchMedianMs} ms here`,
    );
    if (jsonPath) await fs.writeFile(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    grpcClient?.close();
    newMemoryClient?.close();
    await model?.stop(2).catch(() => undefined);
    await engine.docker.getImage(prepared.tag).remove({ force: true }).catch(() => undefined);
    await fs.rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
