/**
 * Build, run, predict over the Unix socket, stop: a DataFrame model and a tensor model, against the
 * real engine, with the image built from the generated Dockerfile.
 */
import * as assert from 'assert';
import { promises as fs } from 'fs';
import { buildImage, prepareBuild } from '../../src/container/imageBuild';
import { CONTAINER_UID, LABEL } from '../../src/container/labels';
import { startModel } from '../../src/container/runContainer';
import {
  buildSettings,
  byteStrings,
  Cleanup,
  copyFixture,
  dataFrameRequest,
  fp32,
  fp64,
  rawOutput,
  requireBaseImage,
  runSettings,
  tensorRequest,
  testEngine,
  waitFor,
} from './helpers';

describe('container: build, run, predict, stop', function () {
  this.timeout(180_000);
  const cleanup = new Cleanup();

  before(requireBaseImage);
  after(() => cleanup.run());

  it('serves a DataFrame model over a socket owned by the host user, with no network and limits', async () => {
    const engine = await testEngine();
    const { folder, name } = await copyFixture('identity-df', cleanup);
    const prepared = await prepareBuild(folder, buildSettings);
    cleanup.image(prepared.tag);
    const built = await buildImage(engine, prepared, buildSettings);
    assert.strictEqual(built.tag, `pyml/${name}:0.1.0`);

    // The image says what it holds.
    const image = await engine.docker.getImage(built.tag).inspect();
    const labels = image.Config.Labels;
    assert.strictEqual(labels[LABEL.name], name);
    assert.strictEqual(labels[LABEL.kind], 'dataframe');
    assert.strictEqual(labels[LABEL.folder], folder);
    assert.match(labels[LABEL.manifestHash] ?? '', /^[0-9a-f]{16}$/);
    assert.deepStrictEqual(JSON.parse(labels[LABEL.schema] ?? ''), {
      kind: 'dataframe',
      inputs: [{ name: 'x', datatype: 'FP64' }, { name: 'label', datatype: 'BYTES' }],
      outputs: [{ name: 'x', datatype: 'FP64' }, { name: 'label', datatype: 'BYTES' }],
    });
    assert.strictEqual(image.Config.User, `${CONTAINER_UID}:${CONTAINER_UID}`);
    // An empty requirements.txt never calls pip.
    assert.ok(!prepared.dockerfile.steps.some((s) => s.role === 'model-requirements'), 'no pip step for an empty requirements.txt');

    const model = cleanup.container(await startModel(engine, { folder, manifest: prepared.manifest, image: built.tag, mode: 'run', settings: runSettings }));
    assert.match(model.info.address, /^unix:\/\/\/.+\/model\.sock$/);
    const socket = model.info.address.slice('unix://'.length);
    assert.ok(Buffer.byteLength(socket) <= 107);
    const stat = await fs.stat(socket);
    assert.ok(stat.isSocket());
    // The host user here is root: the container runs as the image's non-root user, who owns the socket.
    const hostUid = process.getuid?.() ?? 0;
    assert.strictEqual(stat.uid, hostUid === 0 ? CONTAINER_UID : hostUid);

    const inspect = await model.container.inspect();
    assert.strictEqual(inspect.Config.User, hostUid === 0 ? `${CONTAINER_UID}:${CONTAINER_UID}` : `${hostUid}:${process.getgid?.() ?? 0}`);
    assert.strictEqual(inspect.HostConfig.NetworkMode, 'none');
    assert.strictEqual(inspect.HostConfig.Memory, 1024 ** 3);
    assert.strictEqual(inspect.HostConfig.NanoCpus, 1e9);
    assert.strictEqual(inspect.Config.Labels[LABEL.address], model.info.address);

    const response = await model.infer(dataFrameRequest(name, [1.5, -2, 3.25], ['a', 'héllo', '']));
    assert.deepStrictEqual(fp64(rawOutput(response, 'x')), [1.5, -2, 3.25]);
    assert.deepStrictEqual(byteStrings(rawOutput(response, 'label')), ['a', 'héllo', '']);

    // A schema mismatch is INVALID_ARGUMENT naming the column; the server keeps serving.
    const bad = dataFrameRequest(name, [1], ['a']);
    await assert.rejects(model.infer({ ...bad, inputs: bad.inputs.map((i) => (i.name === 'x' ? { ...i, datatype: 'INT64' } : i)) }), (err: Error) => {
      assert.match(err.message, /INVALID_ARGUMENT/);
      assert.match(err.message, /\bx\b/);
      return true;
    });
    assert.deepStrictEqual(fp64(rawOutput(await model.infer(dataFrameRequest(name, [7], ['b'])), 'x')), [7]);

    await model.stop(5);
    await assert.rejects(model.container.inspect(), /no such container/i);
    await waitFor('the socket folder to be removed', async () => !(await fs.stat(model.info.socketDir ?? '/').then(() => true, () => false)));
  });

  it('serves a tensor model', async () => {
    const engine = await testEngine();
    const { folder, name } = await copyFixture('identity-tensor', cleanup);
    const prepared = await prepareBuild(folder, buildSettings);
    cleanup.image(prepared.tag);
    const built = await buildImage(engine, prepared, buildSettings);
    const model = cleanup.container(await startModel(engine, { folder, manifest: prepared.manifest, image: built.tag, mode: 'run', settings: runSettings }));

    const metadata = await model.client.modelMetadata(name);
    assert.deepStrictEqual(metadata.inputs.map((t) => [t.name, t.datatype, t.shape]), [['x', 'FP32', [-1, 3]]]);

    const response = await model.infer(tensorRequest(name, [[1, 2, 3], [4.5, 5.5, -6]]));
    const out = response.outputs[0];
    assert.strictEqual(out?.datatype, 'FP32');
    assert.deepStrictEqual(out.shape, [2, 3]);
    assert.deepStrictEqual(fp32(rawOutput(response, 'x')), [1, 2, 3, 4.5, 5.5, -6]);

    await model.stop(5);
    await assert.rejects(model.container.inspect(), /no such container/i);
  });

  it('serves over a TCP port published on 127.0.0.1 only where a socket cannot cross (as with Docker Desktop)', async () => {
    const engine = { ...(await testEngine()), socketsCrossIntoContainers: false };
    const { folder, name } = await copyFixture('identity-tensor', cleanup);
    const prepared = await prepareBuild(folder, buildSettings);
    cleanup.image(prepared.tag);
    const built = await buildImage(engine, prepared, buildSettings);
    const model = cleanup.container(await startModel(engine, { folder, manifest: prepared.manifest, image: built.tag, mode: 'run', settings: runSettings }));
    assert.match(model.info.address, /^127\.0\.0\.1:\d+$/);
    assert.strictEqual(model.info.socketDir, undefined);
    const inspect = await model.container.inspect();
    assert.deepStrictEqual(
      inspect.HostConfig.PortBindings,
      { '8001/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
    );
    const response = await model.infer(tensorRequest(name, [[7, 8, 9]]));
    assert.deepStrictEqual(fp32(rawOutput(response, 'x')), [7, 8, 9]);
    await model.stop(5);
  });
});
