/**
 * Panel-path round trip: an Arrow table in -> V2 raw contents -> grpc-js over a Unix socket -> the
 * PyML runtime (identity model, 8 FP64 columns) -> V2 answer -> an Arrow table out, exactly as the
 * test-prediction panel does it (src/predict/infer.ts).
 *
 * Measured in the same run, side by side:
 *   floor        the runtime issue's floor: a bare grpcio server (bench/runtime/floor_server.py)
 *                answering pre-built response bytes, called by a grpcio client with pre-serialized
 *                request bytes (bench/panel/floor_client.py): no codec, no model, no protobuf work.
 *   grpc-js floor the same floor server called from Node by grpc-js with pre-serialized bytes:
 *                what the transport alone costs the extension.
 *   panel        the whole panel path against the real PyML server.
 * Reported as p50/p99 and ratios to the floor; it never fails on a ratio.
 *
 *   node out/bench/panel/roundtrip.js [--json FILE] [--small N] [--large N] [--rows 1000000]
 */
import * as grpc from '@grpc/grpc-js';
import * as arrow from 'apache-arrow';
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { encodeTable, inferRequest, type AnyTable } from '../../src/protocol/arrowCodec';
import { V2Client } from '../../src/protocol/v2client';
import { runInference } from '../../src/predict/infer';

const REPO = path.resolve(__dirname, '..', '..', '..');
const PROTO = path.join(REPO, 'runtime', 'pyml', 'proto', 'grpc_predict_v2.proto');
const PYTHON = process.env['PYML_PYTHON'] ?? '/usr/bin/python3';
const MODEL = path.join(REPO, 'test', 'fixtures', 'panel', 'panel-wide');
const MAX = 512 * 2 ** 20;
const METHOD = '/inference.GRPCInferenceService/ModelInfer';

interface Args {
  json?: string;
  small: number;
  large: number;
  rows: number;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { small: 500, large: 5, rows: 1_000_000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => argv[++i] ?? '';
    if (a === '--json') args.json = next();
    else if (a === '--small') args.small = Number(next());
    else if (a === '--large') args.large = Number(next());
    else if (a === '--rows') args.rows = Number(next());
  }
  return args;
}

function table(rows: number): AnyTable {
  const columns: Record<string, arrow.Vector> = {};
  for (let c = 0; c < 8; c++) {
    const v = new Float64Array(rows);
    for (let r = 0; r < rows; r++) v[r] = Math.sin(r + c);
    columns[`c${c}`] = arrow.makeVector(v);
  }
  return new arrow.Table(columns) as AnyTable;
}

function pct(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))] ?? NaN;
}

function summary(ms: readonly number[], bytes: number): Record<string, number> {
  const p50 = pct(ms, 0.5);
  return { requests: ms.length, p50Ms: p50, p99Ms: pct(ms, 0.99), meanMs: ms.reduce((a, b) => a + b, 0) / ms.length, ...(bytes > 0 ? { mbPerSecond: (2 * bytes) / 2 ** 20 / (p50 / 1000) } : {}) };
}

async function waitForSocket(socket: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!fs.existsSync(socket)) {
    if (child.exitCode !== null) throw new Error(`server exited:\n${log()}`);
    if (Date.now() > deadline) throw new Error(`no socket after 60 s:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function start(args: string[]): { child: ChildProcess; log: () => string } {
  let out = '';
  const child = spawn(PYTHON, args, { env: { ...process.env, PYTHONPATH: path.join(REPO, 'runtime'), PYTHONDONTWRITEBYTECODE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return { child, log: () => out };
}

/** A raw-bytes grpc-js call (no protobuf work): the grpc-js floor. */
function rawCall(client: grpc.Client, request: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest<Buffer, Buffer>(METHOD, (b) => b, (b) => b, request, (err, res) => {
      if (err || !res) reject(err ?? new Error('no response'));
      else resolve(res);
    });
  });
}

async function scenario(name: string, rows: number, requests: number, work: string, pyml: V2Client, floorSocket: string): Promise<Record<string, unknown>> {
  const input = table(rows);
  // The request and response bytes the floor uses: exactly what the panel sends and gets.
  const serialize = (pyml as unknown as { service: grpc.ServiceDefinition }).service['ModelInfer'];
  if (!serialize) throw new Error('no ModelInfer');
  const requestBytes = serialize.requestSerialize(inferRequest('panel-wide', encodeTable(input)));
  const rawPyml = new grpc.Client(pyml.address, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': MAX, 'grpc.max_receive_message_length': MAX });
  const responseBytes = await rawCall(rawPyml, requestBytes);
  rawPyml.close();
  const requestFile = path.join(work, `${name}.request`);
  const responseFile = path.join(work, `${name}.response`);
  fs.writeFileSync(requestFile, requestBytes);
  fs.writeFileSync(responseFile, responseBytes);

  // Floor server with this scenario's response.
  const floor = start([path.join(REPO, 'bench', 'runtime', 'floor_server.py'), '--socket', floorSocket, '--response', responseFile]);
  try {
    await waitForSocket(floorSocket, floor.child, floor.log);
    const py = spawnSync(PYTHON, [path.join(REPO, 'bench', 'panel', 'floor_client.py'), '--socket', floorSocket, '--request', requestFile, '--requests', String(requests)], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (py.status !== 0) throw new Error(`floor client failed: ${py.stderr}`);
    const floorMs = (JSON.parse(py.stdout) as { ms: number[] }).ms;

    const grpcjs = new grpc.Client(`unix://${floorSocket}`, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': MAX, 'grpc.max_receive_message_length': MAX });
    const grpcjsMs: number[] = [];
    for (let i = 0; i < Math.min(3, requests); i++) await rawCall(grpcjs, requestBytes);
    for (let i = 0; i < requests; i++) {
      const t0 = performance.now();
      await rawCall(grpcjs, requestBytes);
      grpcjsMs.push(performance.now() - t0);
    }
    grpcjs.close();

    const panelMs: number[] = [];
    const parts = { encodeMs: [] as number[], roundTripMs: [] as number[], decodeMs: [] as number[] };
    for (let i = 0; i < Math.min(3, requests); i++) await runInference(pyml, 'panel-wide', { kind: 'table', table: input }, { deadlineMs: 300_000 });
    let out: AnyTable | undefined;
    for (let i = 0; i < requests; i++) {
      const t0 = performance.now();
      const r = await runInference(pyml, 'panel-wide', { kind: 'table', table: input }, { deadlineMs: 300_000 });
      panelMs.push(performance.now() - t0);
      parts.encodeMs.push(r.timings.encodeMs);
      parts.roundTripMs.push(r.timings.roundTripMs);
      parts.decodeMs.push(r.timings.decodeMs);
      out = r.table;
    }
    if (out?.numRows !== rows || out.getChild('c7')?.get(rows - 1) !== Math.sin(rows - 1 + 7)) throw new Error('the answer is not the identity of the request');

    const bytes = requestBytes.length;
    const floorSummary = summary(floorMs, bytes);
    const panelSummary = summary(panelMs, bytes);
    const grpcjsSummary = summary(grpcjsMs, bytes);
    return {
      rows,
      columns: 8,
      requestMB: bytes / 2 ** 20,
      floor: floorSummary,
      grpcjsFloor: grpcjsSummary,
      panel: { ...panelSummary, encodeP50Ms: pct(parts.encodeMs, 0.5), roundTripP50Ms: pct(parts.roundTripMs, 0.5), decodeP50Ms: pct(parts.decodeMs, 0.5) },
      ratioPanelToFloorP50: (panelSummary['p50Ms'] ?? NaN) / (floorSummary['p50Ms'] ?? NaN),
      ratioGrpcjsFloorToFloorP50: (grpcjsSummary['p50Ms'] ?? NaN) / (floorSummary['p50Ms'] ?? NaN),
      ratioPanelToGrpcjsFloorP50: (panelSummary['p50Ms'] ?? NaN) / (grpcjsSummary['p50Ms'] ?? NaN),
    };
  } finally {
    floor.child.kill('SIGTERM');
    await new Promise((r) => floor.child.once('exit', r));
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pyml-bench-panel-'));
  const socket = path.join(work, 'pyml.sock');
  const server = start(['-m', 'pyml', 'serve', MODEL, '--socket', socket, '--max-message-mb', '512']);
  const pyml = new V2Client(`unix://${socket}`, { protoPath: PROTO, maxMessageBytes: MAX });
  try {
    await waitForSocket(socket, server.child, server.log);
    for (let i = 0; !(await pyml.serverReady({ deadlineMs: 2000 }).catch(() => false)); i++) {
      if (i > 600) throw new Error(`not ready:\n${server.log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const results: Record<string, unknown> = {
      name: 'panel path round trip (Arrow in -> grpc-js -> PyML runtime -> Arrow out)',
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? '', node: process.version },
    };
    if (args.small > 0) results['oneRow'] = await scenario('small', 1, args.small, work, pyml, path.join(work, 'floor.sock'));
    if (args.large > 0) results['millionRows'] = await scenario('large', args.rows, args.large, work, pyml, path.join(work, 'floor.sock'));
    const text = JSON.stringify(results, null, 2);
    console.log(text);
    if (args.json) fs.writeFileSync(args.json, `${text}\n`);
  } finally {
    pyml.close();
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
