/**
 * Several model processes in one real container (pyml.run.workers 2): concurrent requests are
 * answered by both workers, a worker killed inside the container is reported in the container's log
 * and restarted while requests keep being answered, and a dev-mode reload reaches both workers.
 */
import * as assert from 'assert';
import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildImage, prepareBuild, type PreparedBuild } from '../../src/container/imageBuild';
import { logTail } from '../../src/container/logs';
import type { ModelContainer } from '../../src/container/modelContainer';
import { startModel } from '../../src/container/runContainer';
import { V2Client } from '../../src/protocol/v2client';
import type { ModelInferRequest } from '../../src/protocol/v2types';
import { buildSettings, Cleanup, PROTO_PATH, REPO, requireBaseImage, runSettings, testEngine, waitFor } from './helpers';

function request(model: string, x: number): ModelInferRequest {
  const raw = Buffer.alloc(8);
  raw.writeDoubleLE(x);
  return { model_name: model, parameters: { content_type: { string_param: 'pd' } }, inputs: [{ name: 'x', datatype: 'FP64', shape: [1] }], raw_input_contents: [raw] };
}

/** The worker's pid (inside the container) and the version its model read at load. */
async function who(model: ModelContainer, name: string, x = 0): Promise<{ pid: number; version: string }> {
  const r = await model.infer(request(name, x), { deadlineMs: 120_000 });
  const pid = r.raw_output_contents[r.outputs.findIndex((o) => o.name === 'pid')];
  const version = r.raw_output_contents[r.outputs.findIndex((o) => o.name === 'version')];
  assert.ok(pid && version);
  return { pid: Number(pid.readBigInt64LE(0)), version: version.subarray(4, 4 + version.readUInt32LE(0)).toString('utf8') };
}

describe('container: several workers (pyml.run.workers)', function () {
  this.timeout(600_000);
  const cleanup = new Cleanup();
  let folder = '';
  let name = '';
  let prepared: PreparedBuild;

  before(async () => {
    await requireBaseImage();
    const parent = cleanup.dir(await fs.mkdtemp(path.join(os.tmpdir(), 'pyml-it-workers-')));
    folder = path.join(parent, 'who');
    await fs.cp(path.join(REPO, 'test', 'fixtures', 'workers', 'who'), folder, { recursive: true });
    name = `workers-who-${randomBytes(3).toString('hex')}`;
    const manifest = path.join(folder, 'pyml.yaml');
    await fs.writeFile(manifest, (await fs.readFile(manifest, 'utf8')).replace(/^name: .*$/m, `name: ${name}`));
    prepared = await prepareBuild(folder, buildSettings);
    cleanup.image(prepared.tag);
    await buildImage(await testEngine(), prepared, buildSettings);
  });
  after(() => cleanup.run());

  async function start(mode: 'run' | 'dev'): Promise<ModelContainer> {
    const engine = await testEngine();
    return cleanup.container(
      await startModel(engine, {
        folder,
        manifest: prepared.manifest,
        image: prepared.tag,
        mode,
        settings: { ...runSettings, cpus: 2, workers: 2, readyTimeoutMs: 300_000 },
      }),
    );
  }

  it('answers concurrent requests from both workers; a killed worker is reported, restarted, and requests after it answer', async () => {
    const model = await start('run');
    try {
      assert.deepStrictEqual((await model.container.inspect()).Config.Cmd.slice(-2), ['--workers', '2']);
      assert.strictEqual(await model.client.workerCount(), 2);
      const pids = new Set((await Promise.all(Array.from({ length: 16 }, () => who(model, name, 30)))).map((w) => w.pid));
      assert.strictEqual(pids.size, 2, `answered by ${[...pids].join(', ')}`);

      const victim = [...pids][0] ?? 0;
      const exec = await model.container.exec({ Cmd: ['python3', '-c', `import os, signal; os.kill(${victim}, signal.SIGKILL)`], AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({});
      await new Promise((resolve) => {
        stream.on('end', resolve);
        stream.resume();
      });
      // Requests sent meanwhile are answered (by the other worker, or sent again through the forwarder).
      for (let i = 0; i < 10; i++) await who(model, name);
      const line = await waitFor('the death report in the container log', async () => {
        const lines = await logTail(model.container, 200);
        return lines.find((l) => l.includes(`(pid ${victim}) died: killed by signal 9 (SIGKILL); restarting it`));
      }, 120_000);
      assert.match(line, /^pyml WARNING worker \d \(pid \d+\) died/);
      await waitFor('the restarted worker to serve', async () => ((await logTail(model.container, 200)).some((l) => l.includes('serves again')) ? true : undefined), 240_000);
      const after = await waitFor('both workers to answer again', async () => {
        const seen = new Set((await Promise.all(Array.from({ length: 16 }, () => who(model, name, 30)))).map((w) => w.pid));
        return seen.size === 2 ? seen : undefined;
      }, 120_000);
      assert.ok(!after.has(victim), 'the killed worker is a new process');
      assert.strictEqual(await model.client.serverReady(), true);
    } finally {
      await model.stop(5);
    }
  });

  it('a dev-mode reload reaches both workers', async () => {
    const model = await start('dev');
    const clients: V2Client[] = [];
    try {
      assert.deepStrictEqual(new Set((await Promise.all(Array.from({ length: 8 }, () => who(model, name, 20)))).map((w) => w.version)), new Set(['1']));
      await fs.writeFile(path.join(folder, 'data', 'version.txt'), '2\n');
      await model.reload();
      // Each worker on its own socket, so that none can hide behind the other.
      const dir = model.info.socketDir;
      assert.ok(dir);
      for (const n of [1, 2]) clients.push(new V2Client(`unix://${dir}/model.sock.w${n}`, { protoPath: PROTO_PATH, maxMessageBytes: 1 << 24, balanceWorkers: false }));
      const answers = await Promise.all(clients.map((c) => c.modelInfer(request(name, 0), { deadlineMs: 60_000 })));
      const versions = answers.map((r) => {
        const raw = r.raw_output_contents[r.outputs.findIndex((o) => o.name === 'version')];
        return raw?.subarray(4).toString('utf8');
      });
      assert.deepStrictEqual(versions, ['2', '2']);
    } finally {
      for (const c of clients) c.close();
      await fs.writeFile(path.join(folder, 'data', 'version.txt'), '1\n');
      await model.stop(5);
    }
  });
});
