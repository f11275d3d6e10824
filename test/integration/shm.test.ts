/**
 * Shared memory between the extension and a model container (Triton's system shared-memory
 * extension) against the real engine: a region folder under /dev/shm mounted into that container
 * only, big requests through it with the same answers as through gRPC bytes, bad regions refused
 * with INVALID_ARGUMENT, and the folder removed when the container stops (stopped by us or not).
 */
import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as path from 'path';
import { buildImage, prepareBuild } from '../../src/container/imageBuild';
import { CONTAINER_UID } from '../../src/container/labels';
import type { ModelContainer } from '../../src/container/modelContainer';
import { startModel } from '../../src/container/runContainer';
import { OFFSET_PARAM, REGION_PARAM, SHM_EXTENSION, SIZE_PARAM } from '../../src/protocol/shmChannel';
import { hostSharedMemory, SHM_CONTAINER_DIR } from '../../src/protocol/shmFolder';
import { sharedMemoryOf } from '../../src/protocol/shmLocal';
import { V2Error } from '../../src/protocol/v2client';
import type { ModelInferRequest } from '../../src/protocol/v2types';
import { missingPrerequisite } from '../prerequisite';
import { buildSettings, byteStrings, Cleanup, copyFixture, dataFrameRequest, fp64, rawOutput, requireBaseImage, runSettings, testEngine, waitFor } from './helpers';

const ROWS = 100_000;

function rows(n: number): { x: number[]; label: string[] } {
  const x = Array.from({ length: n }, (_, i) => (i - n / 2) * 1.25e-3 + (i % 7) * 1e-300);
  return { x, label: x.map((_, i) => (i % 3 === 0 ? '' : `row ${i} \u00e9`)) };
}

async function exists(p: string): Promise<boolean> {
  return fs.stat(p).then(
    () => true,
    () => false,
  );
}

async function refusal(call: Promise<unknown>): Promise<V2Error> {
  try {
    await call;
  } catch (err) {
    if (err instanceof V2Error) return err;
    throw err;
  }
  throw new Error('the call succeeded; expected a refusal');
}

describe('shared memory: extension <-> container', function () {
  this.timeout(240_000);
  const cleanup = new Cleanup();
  let image = '';
  let folder = '';
  let manifest: Awaited<ReturnType<typeof prepareBuild>>['manifest'];

  before(async function () {
    if (!(await hostSharedMemory())) missingPrerequisite(this, 'no writable /dev/shm on this machine: shared memory cannot be tested');
    await requireBaseImage();
    const engine = await testEngine();
    const copy = await copyFixture('identity-df', cleanup);
    folder = copy.folder;
    const prepared = await prepareBuild(folder, buildSettings);
    cleanup.image(prepared.tag);
    manifest = prepared.manifest;
    image = (await buildImage(engine, prepared, buildSettings)).tag;
  });
  after(() => cleanup.run());

  async function start(thresholdBytes = 1024): Promise<ModelContainer> {
    const engine = await testEngine();
    return cleanup.container(
      await startModel(engine, { folder, manifest, image, mode: 'run', settings: { ...runSettings, sharedMemory: { thresholdBytes } } }),
    );
  }

  it('mounts an owner-only /dev/shm folder into the container alone and round-trips big requests through it, equal to gRPC bytes', async () => {
    const model = await start();
    const dir = model.info.shmDir ?? assert.fail('no shared-memory folder');
    assert.ok(dir.startsWith('/dev/shm/'), dir);
    const st = await fs.stat(dir);
    assert.strictEqual(st.mode & 0o777, 0o700);
    if (process.getuid?.() === 0) assert.strictEqual(st.uid, CONTAINER_UID);
    const base = await fs.stat(path.dirname(dir));
    assert.strictEqual(base.mode & 0o777, 0o700);
    const info = await model.container.inspect();
    assert.ok(info.HostConfig.Binds?.includes(`${dir}:${SHM_CONTAINER_DIR}`), JSON.stringify(info.HostConfig.Binds));
    assert.strictEqual(info.HostConfig.NetworkMode, 'none');
    assert.ok((await model.client.serverMetadata()).extensions.includes(SHM_EXTENSION));
    assert.strictEqual(sharedMemoryOf(model.client.address)?.dir, dir);

    const { x, label } = rows(ROWS);
    const request = dataFrameRequest(model.info.modelName, x, label);
    const channel = model.client.sharedMemory ?? assert.fail('the client has no shared-memory channel');
    assert.ok(channel.wants(request));
    const viaShm = await model.infer(request, { deadlineMs: 60_000 });
    assert.strictEqual(channel.disabledReason, undefined);
    const viaGrpc = await model.client.grpcInfer(request, { deadlineMs: 60_000 });
    assert.deepStrictEqual(fp64(rawOutput(viaShm, 'x')), x);
    assert.deepStrictEqual(byteStrings(rawOutput(viaShm, 'label')), label);
    assert.ok(rawOutput(viaShm, 'x').equals(rawOutput(viaGrpc, 'x')));
    assert.ok(rawOutput(viaShm, 'label').equals(rawOutput(viaGrpc, 'label')));
    assert.deepStrictEqual(
      viaShm.outputs.map((o) => [o.name, o.datatype, o.shape, Object.keys(o.parameters).sort()]),
      viaGrpc.outputs.map((o) => [o.name, o.datatype, o.shape, Object.keys(o.parameters).sort()]),
    );

    // An answer handed back is where the next answer of its size is read: the same memory, the new values.
    const xBuffer = rawOutput(viaShm, 'x');
    model.client.recycle(viaShm);
    const doubled = x.map((v) => v * 2);
    const again = await model.infer(dataFrameRequest(model.info.modelName, doubled, label), { deadlineMs: 60_000 });
    assert.strictEqual(rawOutput(again, 'x'), xBuffer, 'the recycled buffer is reused');
    assert.deepStrictEqual(fp64(rawOutput(again, 'x')), doubled);
    assert.deepStrictEqual(byteStrings(rawOutput(again, 'label')), label);

    // It went through a registered region: a 0600 file of the folder, seen by the server.
    const regions = await model.client.systemSharedMemoryStatus();
    const names = Object.keys(regions);
    assert.strictEqual(names.length, 1, JSON.stringify(regions));
    const region = regions[names[0] ?? ''] ?? assert.fail('no region');
    const file = path.join(dir, region.key.replace(/^\//, ''));
    assert.strictEqual((await fs.stat(file)).mode & 0o777, 0o600);
    assert.ok(region.byte_size >= 8 * ROWS * 2);

    // Requests below the threshold stay gRPC bytes.
    assert.ok(!channel.wants(dataFrameRequest(model.info.modelName, [1], ['a'])));
    assert.deepStrictEqual(fp64(rawOutput(await model.infer(dataFrameRequest(model.info.modelName, [1.5], ['a'])), 'x')), [1.5]);
  });

  it('refuses bad regions, offsets and sizes with INVALID_ARGUMENT naming what and where', async () => {
    const model = await start();
    const dir = model.info.shmDir ?? assert.fail('no shared-memory folder');
    const client = model.client;
    const file = path.join(dir, 'pyml-it-bad');
    await fs.writeFile(file, Buffer.alloc(4096), { mode: 0o600 });
    if (process.getuid?.() === 0) await fs.chown(file, CONTAINER_UID, CONTAINER_UID);

    let e = await refusal(client.systemSharedMemoryRegister('r', '/../../etc/passwd', 0, 10));
    assert.strictEqual(e.codeName, 'INVALID_ARGUMENT');
    assert.match(e.details, /key '\/\.\.\/\.\.\/etc\/passwd' is not a shared-memory key/);
    e = await refusal(client.systemSharedMemoryRegister('r', '/pyml-it-bad', 4000, 100));
    assert.strictEqual(e.codeName, 'INVALID_ARGUMENT');
    assert.match(e.details, /offset 4000 \+ byte_size 100 = 4100 is past the end of key '\/pyml-it-bad' \(4096 bytes\)/);
    await client.systemSharedMemoryRegister('small', '/pyml-it-bad', 0, 16);

    const x = [1, 2, 3];
    const base = dataFrameRequest(model.info.modelName, x, ['a', 'b', 'c']);
    const named = (region: string, offset: number, size: number): ModelInferRequest => ({
      ...base,
      inputs: base.inputs.map((t, i) =>
        i === 0
          ? { ...t, parameters: { [REGION_PARAM]: { string_param: region }, [OFFSET_PARAM]: { int64_param: offset }, [SIZE_PARAM]: { int64_param: size } } }
          : t,
      ),
      raw_input_contents: base.raw_input_contents?.slice(1) ?? [],
    });
    e = await refusal(client.grpcInfer(named('nowhere', 0, 24)));
    assert.strictEqual(e.codeName, 'INVALID_ARGUMENT');
    assert.match(e.details, /input 'x': shared-memory region 'nowhere' is not registered/);
    e = await refusal(client.grpcInfer(named('small', 8, 24)));
    assert.strictEqual(e.codeName, 'INVALID_ARGUMENT');
    assert.match(e.details, /input 'x': shared_memory_offset 8 \+ shared_memory_byte_size 24 = 32 is outside region 'small' \(16 bytes\)/);
    e = await refusal(client.grpcInfer(named('small', 0, 16)));
    assert.strictEqual(e.codeName, 'INVALID_ARGUMENT');
    assert.match(e.details, /input 'x': shape \[3\] of FP64 takes 24 bytes \(3 x 8\), but shared_memory_byte_size is 16 in region 'small'/);

    // Still serving.
    assert.deepStrictEqual(fp64(rawOutput(await client.grpcInfer(base), 'x')), x);
  });

  it('removes the folder when the container stops: stopped by the extension, or by itself', async () => {
    const first = await start();
    const dir1 = first.info.shmDir ?? assert.fail('no shared-memory folder');
    const { x, label } = rows(20_000);
    await first.infer(dataFrameRequest(first.info.modelName, x, label), { deadlineMs: 60_000 });
    assert.ok((await fs.readdir(dir1)).length > 0);
    await first.stop(2);
    assert.ok(!(await exists(dir1)), `${dir1} is still there after Stop`);
    assert.strictEqual(sharedMemoryOf(first.client.address), undefined);

    const second = await start();
    const dir2 = second.info.shmDir ?? assert.fail('no shared-memory folder');
    assert.notStrictEqual(dir2, dir1);
    await second.infer(dataFrameRequest(second.info.modelName, x, label), { deadlineMs: 60_000 });
    await second.container.kill();
    await waitFor(`${dir2} removed after the container was killed`, async () => !(await exists(dir2)), 60_000);
  });
});
