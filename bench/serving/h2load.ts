/**
 * The serving bench's light load generator: h2load (nghttp2's HTTP/2 benchmarking tool, written in C)
 * sending one encoded ModelInfer request as gRPC over HTTP/2, to each worker socket.
 *
 * Why a second generator: on a 2-core machine the load generator shares the cores with the model
 * container. The extension's client (grpc-js, protobufjs decoding every answer into objects) spends
 * about half a millisecond of CPU a call, half of what a worker spends answering it, so with two
 * workers the cores run out before the workers do, and the figure measures the client as much as
 * the server. h2load spends a few microseconds a call, as ghz or a C++ gRPC client would.
 *
 * h2load knows HTTP, not gRPC: a gRPC error is an HTTP 200 whose trailers carry grpc-status, with no
 * message. Every answer to the same request has the same bytes, so the DATA bytes h2load counts must
 * be exactly (answers) x (one answer's frame): any error answer, which has none, shows as a shortfall.
 * The clients are split evenly over the worker sockets (the requests are all alike, so an even split
 * is what the PyML client's fewest-in-flight choice ends up doing).
 */
import { spawn } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';

export const INFER_PATH = '/inference.GRPCInferenceService/ModelInfer';

export interface H2loadRun {
  /** Wall time of the slowest h2load process, as it reports it. */
  readonly seconds: number;
  readonly requests: number;
  /** Answers with grpc-status 0: the DATA bytes over one answer's frame. */
  readonly answered: number;
  /** Requests without an HTTP 200, or that h2load counts as failed, errored or timed out. */
  readonly httpFailures: number;
  /** Every request's time, sorted, in ms (from h2load's --log-file). */
  readonly latenciesMs: Float64Array;
  /** User + system CPU time of the h2load processes. */
  readonly cpuMs: number;
}

/** A protobuf message in a gRPC frame: flag 0 (not compressed), big-endian length, the bytes. */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.byteLength);
  frame.writeUInt32BE(message.byteLength, 1);
  frame.set(message, 5);
  return frame;
}

/** `n` split into `parts` whole shares that differ by at most one. */
function split(n: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(n / parts) + (i < n % parts ? 1 : 0));
}

function exec(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** `bash`'s `times`: the second line is the children's user and system time, as `1m2.345s 0m0.678s`. */
function childrenCpuMs(times: string): number {
  const line = times.trim().split('\n')[1] ?? '';
  return line.split(/\s+/).reduce((sum, t) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t);
    return m ? sum + (Number(m[1]) * 60 + Number(m[2])) * 1000 : sum;
  }, 0);
}

function field(output: string, re: RegExp, what: string): number {
  const m = re.exec(output);
  if (!m) throw new Error(`h2load's output has no ${what}:\n${output.slice(0, 2000)}`);
  return Number(m[1]);
}

/**
 * Sends `requests` copies of the framed request in `bodyFile` from `clients` connections (each one
 * call at a time), split over `sockets`; `answerFrameBytes` is one OK answer's framed size.
 */
export async function runH2load(options: {
  sockets: readonly string[];
  clients: number;
  requests: number;
  bodyFile: string;
  answerFrameBytes: number;
  workDir: string;
}): Promise<H2loadRun> {
  const { sockets, clients, requests, bodyFile, answerFrameBytes, workDir } = options;
  if (clients < sockets.length) throw new Error(`${clients} clients cannot cover ${sockets.length} sockets`);
  const clientShares = split(clients, sockets.length);
  const requestShares = clientShares.map((c) => Math.round((requests * c) / clients));
  const runs = sockets.map((socket, i) => ({
    socket,
    out: path.join(workDir, `h2load-${i}.out`),
    log: path.join(workDir, `h2load-${i}.log`),
    clients: clientShares[i] ?? 1,
    requests: requestShares[i] ?? 0,
  }));
  const commands = runs.map((r) =>
    [
      'h2load', '-B', quote(`unix:${r.socket}`), '-n', String(r.requests), '-c', String(r.clients), '-m', '1',
      '-d', quote(bodyFile), '-H', quote('content-type: application/grpc'), '-H', quote('te: trailers'),
      '--log-file', quote(r.log), quote(`http://localhost${INFER_PATH}`), '>', quote(r.out), '2>&1 &',
    ].join(' '),
  );
  const result = await exec(`${commands.join('\n')}\nwait\ntimes`);
  if (result.code !== 0) throw new Error(`h2load: exit ${result.code}: ${result.stderr}`);
  let seconds = 0;
  let answered = 0;
  let httpFailures = 0;
  const latencies: number[] = [];
  for (const r of runs) {
    const output = await fs.readFile(r.out, 'utf8');
    const finished = /finished in ([\d.]+)(ms|s),/.exec(output);
    if (!finished) throw new Error(`h2load's output has no finish time:\n${output.slice(0, 2000)}`);
    seconds = Math.max(seconds, Number(finished[1]) / (finished[2] === 'ms' ? 1000 : 1));
    const done = field(output, /requests: \d+ total, \d+ started, (\d+) done/, 'request counts');
    const succeeded = field(output, /(\d+) succeeded/, 'succeeded count');
    const ok200 = field(output, /status codes: (\d+) 2xx/, 'status codes');
    const data = field(output, /traffic: .*\((\d+)\) data/, 'data bytes');
    if (data % answerFrameBytes !== 0) throw new Error(`h2load on ${r.socket}: ${data} data bytes is not a whole number of ${answerFrameBytes}-byte answers: the answers differ`);
    answered += data / answerFrameBytes;
    httpFailures += r.requests - Math.min(done, succeeded, ok200);
    for (const line of (await fs.readFile(r.log, 'utf8')).split('\n')) {
      const [, , micros] = line.split('\t');
      if (micros) latencies.push(Number(micros) / 1000);
    }
  }
  const sorted = Float64Array.from(latencies).sort();
  return { seconds, requests, answered, httpFailures, latenciesMs: sorted, cpuMs: childrenCpuMs(result.stdout) };
}
