/**
 * The V2 client spreads its inference calls over the worker processes of `serve --workers N`: the
 * addresses a `pyml-workers` header names, and against a real runtime (Debian's python, grpcio,
 * pandas) on real Unix sockets: both workers answer, a model error is the same as from one
 * process, a killed worker costs no failed call.
 */
import * as assert from 'assert';
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as grpc from '@grpc/grpc-js';
import { V2Client, V2Error } from '../../../src/protocol/v2client';
import { workerAddresses } from '../../../src/protocol/workerBalancer';
import type { ModelInferRequest } from '../../../src/protocol/v2types';
import { missingPrerequisite } from '../../prerequisite';

const REPO = path.resolve(__dirname, '..', '..', '..', '..');
const PROTO = path.join(REPO, 'runtime', 'pyml', 'proto', 'grpc_predict_v2.proto');
const WHO = path.join(REPO, 'test', 'fixtures', 'workers', 'who');
const PYTHON = process.env['PYML_PYTHON'] ?? process.env['PYML_TEST_PYTHON'] ?? '/usr/bin/python3';

describe('workerAddresses', () => {
  it('names the worker sockets next to the main one', () => {
    assert.deepStrictEqual(workerAddresses('unix:///run/x/model.sock', 'model.sock.w1,model.sock.w2'), [
      'unix:///run/x/model.sock.w1',
      'unix:///run/x/model.sock.w2',
    ]);
  });
  it('balances nothing for TCP, one worker, odd names or paths over the socket limit', () => {
    assert.deepStrictEqual(workerAddresses('127.0.0.1:8001', 'a,b'), []);
    assert.deepStrictEqual(workerAddresses('unix:///run/x/model.sock', 'model.sock.w1'), []);
    assert.deepStrictEqual(workerAddresses('unix:///run/x/model.sock', 'a,../b'), []);
    assert.deepStrictEqual(workerAddresses('unix:///run/x/model.sock', 'a,b/c'), []);
    assert.deepStrictEqual(workerAddresses(`unix:///${'d'.repeat(100)}/model.sock`, 'model.sock.w1,model.sock.w2'), []);
  });
});

function request(x: number): ModelInferRequest {
  const raw = Buffer.alloc(8);
  raw.writeDoubleLE(x);
  return {
    model_name: 'who',
    parameters: { content_type: { string_param: 'pd' } },
    inputs: [{ name: 'x', datatype: 'FP64', shape: [1] }],
    raw_input_contents: [raw],
  };
}

async function pidOf(client: V2Client, x = 0): Promise<number> {
  const r = await client.modelInfer(request(x), { deadlineMs: 60_000 });
  const raw = r.raw_output_contents[r.outputs.findIndex((o) => o.name === 'pid')];
  assert.ok(raw);
  return Number(raw.readBigInt64LE(0));
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('V2Client over several workers (live runtime)', function () {
  this.timeout(300_000);
  let child: ChildProcess | undefined;
  let dir = '';
  let output = '';
  let address = '';
  let client: V2Client | undefined;

  before(async function () {
    const probe = spawnSync(PYTHON, ['-c', 'import grpc, numpy, pandas, yaml'], { encoding: 'utf8' });
    if (probe.status !== 0) missingPrerequisite(this, `${PYTHON} lacks grpc, numpy, pandas or yaml (npm run setup -- --only python): ${probe.stderr.trim()}`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyml-workers-'));
    const socket = path.join(dir, 'm.sock');
    address = `unix://${socket}`;
    child = spawn(PYTHON, ['-m', 'pyml', 'serve', WHO, '--socket', socket, '--workers', '2'], {
      env: { ...process.env, PYTHONPATH: path.join(REPO, 'runtime'), PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const probeClient = new V2Client(address, { protoPath: PROTO, maxMessageBytes: 1 << 24 });
    try {
      await until('the server to be ready', async () => {
        if (child?.exitCode !== null) throw new Error(`the server exited:\n${output}`);
        return (await probeClient.serverReady({ deadlineMs: 1000 }).catch(() => false)) || undefined;
      });
    } finally {
      probeClient.close();
    }
    client = new V2Client(address, { protoPath: PROTO, maxMessageBytes: 1 << 24 });
  });

  after(async () => {
    client?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('finds both workers and spreads concurrent calls over them', async () => {
    assert.ok(client);
    assert.strictEqual(await client.workerCount(), 2);
    const pids = await Promise.all(Array.from({ length: 16 }, () => pidOf(client as V2Client, 30)));
    assert.strictEqual(new Set(pids).size, 2, `answered by ${[...new Set(pids)].join(', ')}`);
    assert.ok(!pids.includes(child?.pid ?? -1), 'the supervisor itself runs no model');
  });

  it('a model exception reaches the caller as from one process', async () => {
    assert.ok(client);
    const direct = new V2Client(address, { protoPath: PROTO, maxMessageBytes: 1 << 24, balanceWorkers: false });
    try {
      const errors: V2Error[] = [];
      for (const c of [client, direct]) {
        const err = await c.modelInfer(request(-1)).then(
          () => assert.fail('no error'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof V2Error);
        errors.push(err);
      }
      for (const err of errors) {
        assert.strictEqual(err.code, grpc.status.INTERNAL);
        assert.strictEqual(err.details, 'ValueError: negative x -1.0 (model.py:21 in predict)');
        assert.strictEqual(err.report?.type, 'ValueError');
        assert.strictEqual(err.unreachableWorker, false);
      }
      assert.deepStrictEqual(errors[0]?.report, errors[1]?.report);
    } finally {
      direct.close();
    }
  });

  it('keeps answering while a killed worker restarts, then uses it again', async () => {
    assert.ok(client);
    const before = new Set(await Promise.all(Array.from({ length: 8 }, () => pidOf(client as V2Client, 20))));
    const victim = [...before][0];
    assert.ok(victim !== undefined);
    process.kill(victim, 'SIGKILL');
    // Every call succeeds: one sent to the dead worker is sent again through the forwarder.
    for (let i = 0; i < 20; i++) await pidOf(client);
    await until('the restart report', () => (/worker \d \(pid \d+\) serves again/.test(output) ? true : undefined));
    assert.match(output, new RegExp(`worker \\d \\(pid ${victim}\\) died: killed by signal 9 \\(SIGKILL\\); restarting it`));
    const after = await until('both workers to answer again', async () => {
      const pids = new Set(await Promise.all(Array.from({ length: 8 }, () => pidOf(client as V2Client, 20))));
      return pids.size === 2 ? pids : undefined;
    });
    assert.ok(!after.has(victim));
  });
});
