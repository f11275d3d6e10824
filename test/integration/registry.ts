/**
 * A real registry for the tests: Debian's `docker-registry` (Distribution 2.8) started by the test on
 * 127.0.0.1 and a free port, with htpasswd auth (bcrypt, from apache2-utils' `htpasswd -B`) and its own
 * storage folder under the test's temporary folder; never a system service. dockerd pushes to it
 * without TLS: 127.0.0.0/8 is an insecure registry by default.
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import { promises as fs } from 'fs';
import * as net from 'net';
import * as path from 'path';
import { waitFor } from './helpers';

export const REGISTRY_BINARY = 'docker-registry';

/** Why a registry cannot be started here, or undefined when it can. */
export function registryMissing(): string | undefined {
  for (const program of [REGISTRY_BINARY, 'htpasswd']) {
    const found = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' });
    if (found.status !== 0) return `${program} is not installed (apt-get install docker-registry apache2-utils; npm run setup -- --only python installs them)`;
  }
  return undefined;
}

export class TestRegistry {
  private constructor(
    readonly host: string,
    readonly dir: string,
    private readonly child: ChildProcess,
    private readonly output: string[],
  ) {}

  /** Starts a registry with one user, storing under `dir`; resolves once it answers /v2/. */
  static async start(dir: string, user: string, password: string): Promise<TestRegistry> {
    await fs.mkdir(dir, { recursive: true });
    const htpasswd = spawnSync('htpasswd', ['-Bbn', user, password], { encoding: 'utf8' });
    if (htpasswd.status !== 0) throw new Error(`htpasswd failed: ${htpasswd.stderr}`);
    await fs.writeFile(path.join(dir, 'htpasswd'), htpasswd.stdout);
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const config = [
      'version: 0.1',
      'log:',
      '  level: info',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${path.join(dir, 'storage')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${host}`,
      'auth:',
      '  htpasswd:',
      '    realm: pyml-publish-test',
      `    path: ${path.join(dir, 'htpasswd')}`,
      '',
    ].join('\n');
    await fs.writeFile(path.join(dir, 'config.yml'), config);
    const child = spawn(REGISTRY_BINARY, ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    const keep = (d: Buffer): void => {
      output.push(...d.toString('utf8').split('\n').filter(Boolean));
      if (output.length > 200) output.splice(0, output.length - 200);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const registry = new TestRegistry(host, dir, child, output);
    try {
      await waitFor(`the registry at ${host} to answer /v2/`, async () => {
        if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${output.slice(-5).join(' | ')}`);
        const response = await fetch(`http://${host}/v2/`).catch(() => undefined);
        return response?.status === 401;
      }, 60_000);
    } catch (err) {
      await registry.stop();
      throw err;
    }
    return registry;
  }

  /** GET a registry API path with basic auth. */
  async api(pathname: string, user: string, password: string, method = 'GET'): Promise<Response> {
    return fetch(`http://${this.host}${pathname}`, {
      method,
      headers: {
        Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
        Accept: 'application/vnd.docker.distribution.manifest.v2+json',
      },
    });
  }

  get log(): readonly string[] {
    return this.output;
  }

  /** Kills the registry at once (a registry that dies mid-push), or stops it at the end. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => {
        resolve();
      }));
    this.child.kill(signal);
    await exited;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === 'object' && address) resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}
