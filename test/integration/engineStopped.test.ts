/**
 * A Docker engine that stops while PyML is connected: the event stream ends, and the next
 * connection attempt gives the "Docker is not running" message. The suite starts its own, private
 * dockerd (its own socket and data folder) so that stopping it disturbs nobody; it needs root,
 * dockerd and unshare, and is skipped otherwise.
 *
 * The private dockerd runs in a network namespace of its own (`unshare --net`): a dockerd that
 * shares the host's network deletes the host's docker0 bridge when started with `--bridge none`,
 * which would cut every other container's network.
 */
import * as assert from 'assert';
import { spawn, type ChildProcess } from 'child_process';
import { existsSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { connectEngine, type Engine } from '../../src/container/engine';
import { DockerUnavailableError } from '../../src/container/containerErrors';
import { EngineEvents } from '../../src/container/events';
import { waitFor } from './helpers';
import { requirePrerequisite } from '../prerequisite';

const DOCKERD = ['/usr/sbin/dockerd', '/usr/bin/dockerd'].find((p) => existsSync(p));
const UNSHARE = ['/usr/bin/unshare', '/bin/unshare'].find((p) => existsSync(p));

describe('container: a Docker engine that stops', function () {
  this.timeout(60_000);
  let dir = '';
  let daemon: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  before(async function () {
    requirePrerequisite(this, !DOCKERD || !UNSHARE || process.getuid?.() !== 0 ? 'a second dockerd needs dockerd, unshare and root' : undefined);
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pyml-dd-'));
  });

  after(async () => {
    if (daemon && daemon.exitCode === null) daemon.kill('SIGKILL');
    await exited;
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('ends the event stream and then says "Docker is not running"', async () => {
    const socket = `unix://${path.join(dir, 'docker.sock')}`;
    const log = await fs.open(path.join(dir, 'dockerd.log'), 'w');
    daemon = spawn(
      UNSHARE ?? 'unshare',
      ['--net', '--', DOCKERD ?? 'dockerd', '--host', socket, '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'), '--pidfile', path.join(dir, 'docker.pid'), '--bridge', 'none', '--iptables=false', '--ip-masq=false'],
      { stdio: ['ignore', log.fd, log.fd] },
    );
    const child = daemon;
    exited = new Promise((resolve) => child.once('exit', () => {
      resolve();
    }));
    const engine = await waitFor<Engine>('the private dockerd to answer', () => connectEngine({ setting: socket, pingTimeoutMs: 1000 }).catch(() => undefined), 30_000);
    await log.close();

    let ended = false;
    const events = await EngineEvents.subscribe(engine, () => undefined, () => {
      ended = true;
    });
    try {
      child.kill('SIGTERM');
      await exited;
      await waitFor('the event stream to end', () => ended, 10_000);
    } finally {
      events.dispose();
    }
    const failure = await connectEngine({ setting: socket, pingTimeoutMs: 1000 }).then(
      () => assert.fail('the stopped engine should not answer'),
      (err: unknown) => err,
    );
    assert.ok(failure instanceof DockerUnavailableError, String(failure));
    assert.match(failure.message, /^Docker is not running: no Docker engine answers at unix:\/\/.+docker\.sock \(from the pyml\.docker\.host setting; (ENOENT|ECONNREFUSED)\)/);
  });
});
