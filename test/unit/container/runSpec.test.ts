import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { containerSpec, containerUser, parseMemory, workerCount, type RunSpecInput } from '../../../src/container/runSpec';
import { MAX_SOCKET_PATH_BYTES, prepareSocketDir, socketBaseDir, socketLocation } from '../../../src/container/socketDir';

/** Where a Unix socket cannot cross into the container: no socket folder, a published port. */
const tcp: RunSpecInput = {
  name: 'pyml-churn-0123456789',
  image: 'pyml/churn:0.1.0',
  modelName: 'churn',
  folder: '/work/churn',
  mode: 'run',
  hostUser: { uid: 1000, gid: 1000 },
  network: false,
  memory: '2g',
  cpus: 1.5,
  maxMessageMB: 512,
};

const base: RunSpecInput = { ...tcp, socketDir: '/tmp/pyml-1000/0123456789', address: 'unix:///tmp/pyml-1000/0123456789/model.sock' };

describe('containerSpec', () => {
  it('runs as the host user with no network, limits, no capabilities, and labels', () => {
    const spec = containerSpec(base);
    assert.strictEqual(spec.User, '1000:1000');
    assert.strictEqual(spec.HostConfig?.NetworkMode, 'none');
    assert.strictEqual(spec.HostConfig.Memory, 2 * 1024 ** 3);
    assert.strictEqual(spec.HostConfig.NanoCpus, 1.5e9);
    assert.deepStrictEqual(spec.HostConfig.CapDrop, ['ALL']);
    assert.deepStrictEqual(spec.HostConfig.SecurityOpt, ['no-new-privileges']);
    assert.deepStrictEqual(spec.HostConfig.Binds, ['/tmp/pyml-1000/0123456789:/run/pyml']);
    // 1.5 cores: two model processes (pyml.run.workers 0, the default).
    assert.deepStrictEqual(spec.Cmd, ['serve', '/opt/pyml/model', '--socket', '/run/pyml/model.sock', '--max-message-mb', '512', '--workers', '2']);
    assert.deepStrictEqual(spec.Labels, {
      'dev.pyml.name': 'churn',
      'dev.pyml.folder': '/work/churn',
      'dev.pyml.mode': 'run',
      'dev.pyml.address': 'unix:///tmp/pyml-1000/0123456789/model.sock',
      'dev.pyml.socket-dir': '/tmp/pyml-1000/0123456789',
    });
    assert.strictEqual(spec.HostConfig.PortBindings, undefined);
  });

  it('mounts the model folder read-only over the image\'s copy in dev mode', () => {
    const spec = containerSpec({ ...base, mode: 'dev' });
    assert.deepStrictEqual(spec.HostConfig?.Binds, ['/tmp/pyml-1000/0123456789:/run/pyml', '/work/churn:/opt/pyml/model:ro']);
    assert.strictEqual(spec.Labels?.['dev.pyml.mode'], 'dev');
  });

  it('runs pyml.run.workers model processes, by default one per core of the CPU limit', () => {
    assert.strictEqual(workerCount(undefined, 2), 2);
    assert.strictEqual(workerCount(0, 1.5), 2);
    assert.strictEqual(workerCount(0, 0.5), 1);
    assert.strictEqual(workerCount(3, 1), 3);
    assert.deepStrictEqual(containerSpec({ ...base, cpus: 1 }).Cmd?.slice(-2), ['--max-message-mb', '512']);
    assert.deepStrictEqual(containerSpec({ ...base, cpus: 1, workers: 4 }).Cmd?.slice(-2), ['--workers', '4']);
    assert.deepStrictEqual(containerSpec({ ...tcp, workers: 1 }).Cmd?.includes('--workers'), false);
  });

  it('gives network access only when asked', () => {
    assert.strictEqual(containerSpec({ ...base, network: true }).HostConfig?.NetworkMode, 'bridge');
  });

  it('publishes the gRPC port on 127.0.0.1 only where sockets cannot cross (Docker Desktop)', () => {
    const spec = containerSpec(tcp);
    assert.deepStrictEqual(spec.HostConfig?.PortBindings, { '8001/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
    assert.ok(spec.Cmd?.includes('--port'));
    assert.deepStrictEqual(spec.HostConfig.Binds, []);
  });

  it('runs as the container\'s root with a rootless engine, where that root is the host user', () => {
    assert.deepStrictEqual(containerUser({ uid: 1000, gid: 1000 }, true), { uid: 0, gid: 0 });
    assert.strictEqual(containerSpec({ ...base, rootless: true }).User, '0:0');
  });

  it('never runs as root: a root host user gets the image\'s non-root user', () => {
    assert.deepStrictEqual(containerUser({ uid: 0, gid: 0 }), { uid: 10001, gid: 10001 });
    assert.strictEqual(containerSpec({ ...base, hostUser: { uid: 0, gid: 0 } }).User, '10001:10001');
  });
});

describe('parseMemory', () => {
  it('reads Docker sizes', () => {
    assert.strictEqual(parseMemory('512m'), 512 * 1024 ** 2);
    assert.strictEqual(parseMemory('1.5g'), 1.5 * 1024 ** 3);
    assert.strictEqual(parseMemory('2G'), 2 * 1024 ** 3);
    assert.strictEqual(parseMemory('1073741824'), 1024 ** 3);
  });

  it('refuses nonsense and sizes below Docker\'s minimum', () => {
    assert.throws(() => parseMemory('lots'), /not a memory size/);
    assert.throws(() => parseMemory('1m'), /minimum/);
  });
});

describe('socket folders', () => {
  it('prefers XDG_RUNTIME_DIR, else /tmp/pyml-<uid>', () => {
    assert.strictEqual(socketBaseDir({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000), '/run/user/1000/pyml');
    assert.strictEqual(socketBaseDir({}, 0), '/tmp/pyml-0');
    assert.strictEqual(socketBaseDir({ XDG_RUNTIME_DIR: 'relative' }, 5, '/var/tmp'), '/var/tmp/pyml-5');
  });

  it('falls back to /tmp when XDG_RUNTIME_DIR is too long for a socket path', () => {
    const long = '/run/' + 'x'.repeat(90);
    assert.strictEqual(socketBaseDir({ XDG_RUNTIME_DIR: long }, 1000), '/tmp/pyml-1000');
  });

  it('refuses a socket path over 107 bytes, naming the fix', () => {
    assert.strictEqual(socketLocation('/tmp/pyml-0', '0123456789').socket, '/tmp/pyml-0/0123456789/model.sock');
    assert.throws(() => socketLocation('/' + 'd'.repeat(MAX_SOCKET_PATH_BYTES), 'id'), /over the 107-byte limit.*TMPDIR/);
  });

  it('creates the folders 0700 and replaces a stale one', async () => {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pyml-sock-'));
    try {
      const uid = process.getuid?.() ?? 0;
      const location = socketLocation(path.join(tmp, 'base'), 'abc');
      await fs.mkdir(location.dir, { recursive: true });
      await fs.writeFile(location.socket, 'stale');
      await prepareSocketDir(location, { uid, gid: process.getgid?.() ?? 0 }, uid);
      assert.deepStrictEqual(await fs.readdir(location.dir), []);
      assert.strictEqual((await fs.stat(location.dir)).mode & 0o777, 0o700);
      assert.strictEqual((await fs.stat(path.dirname(location.dir))).mode & 0o777, 0o700);
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  });

  it('refuses a base folder that is a symlink', async () => {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pyml-sock-'));
    try {
      await fs.mkdir(path.join(tmp, 'elsewhere'));
      await fs.symlink(path.join(tmp, 'elsewhere'), path.join(tmp, 'base'));
      const uid = process.getuid?.() ?? 0;
      await assert.rejects(prepareSocketDir(socketLocation(path.join(tmp, 'base'), 'abc'), { uid, gid: 0 }, uid), /is not a folder/);
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  });
});
