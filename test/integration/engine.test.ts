/**
 * Docker discovery against the real environment: the engine the tests use answers, and an address
 * where no engine answers gives the one "Docker is not running" message with what to do.
 */
import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { connectEngine } from '../../src/container/engine';
import { DockerUnavailableError } from '../../src/container/containerErrors';

describe('container: the Docker engine', function () {
  this.timeout(30_000);

  it('connects to the engine the environment names and knows whether sockets cross into containers', async () => {
    const engine = await connectEngine({ setting: '' });
    assert.match(engine.serverVersion, /^\d+\.\d+/);
    assert.match(engine.apiVersion, /^1\.\d+$/);
    assert.strictEqual(engine.socketsCrossIntoContainers, process.platform === 'linux' && !/docker desktop/i.test(engine.operatingSystem));
  });

  it('says "Docker is not running" for a dead socket named by DOCKER_HOST, and what to do', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pyml-dead-'));
    try {
      const dead = `unix://${path.join(dir, 'docker.sock')}`;
      const failure = await connectEngine({ setting: '', env: { DOCKER_HOST: dead }, pingTimeoutMs: 2000 }).then(
        () => assert.fail('no engine should answer'),
        (err: unknown) => err,
      );
      assert.ok(failure instanceof DockerUnavailableError, String(failure));
      assert.match(failure.message, /^Docker is not running: no Docker engine answers at unix:\/\/.+docker\.sock \(from DOCKER_HOST; ENOENT\)/);
      assert.match(failure.message, /set pyml\.docker\.host/);
      assert.match(failure.message, /Retry/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('says the same for a TCP address where nothing listens (the setting wins over DOCKER_HOST)', async () => {
    const failure = await connectEngine({ setting: 'tcp://127.0.0.1:1', env: { DOCKER_HOST: 'unix:///var/run/docker.sock' }, pingTimeoutMs: 2000 }).then(
      () => assert.fail('no engine should answer'),
      (err: unknown) => err,
    );
    assert.ok(failure instanceof DockerUnavailableError, String(failure));
    assert.match(failure.message, /Docker is not running: no Docker engine answers at tcp:\/\/127\.0\.0\.1:1 \(from the pyml\.docker\.host setting; ECONNREFUSED\)/);
  });
});
