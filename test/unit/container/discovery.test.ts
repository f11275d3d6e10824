import * as assert from 'assert';
import * as path from 'path';
import { candidateEndpoints, connectionTarget, contextId, defaultSockets, type DiscoveryEnv } from '../../../src/container/discovery';
import { dockerUnavailableMessage } from '../../../src/container/containerErrors';
import { socketsCross } from '../../../src/container/engine';

const HOME = '/home/ada';

function env(over: Partial<DiscoveryEnv> & { files?: Record<string, string>; sockets?: string[] } = {}): DiscoveryEnv {
  const files = over.files ?? {};
  const sockets = new Set(over.sockets ?? []);
  return {
    setting: '',
    env: {},
    platform: 'linux',
    home: HOME,
    readFile: (f) => files[f],
    exists: (f) => sockets.has(f) || f in files,
    ...over,
  };
}

function withContext(name: string, host: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    [path.join(HOME, '.docker', 'config.json')]: JSON.stringify({ auths: {}, currentContext: name }),
    [path.join(HOME, '.docker', 'contexts', 'meta', contextId(name), 'meta.json')]: JSON.stringify({
      Name: name,
      Metadata: {},
      Endpoints: { docker: { Host: host, SkipTLSVerify: false } },
    }),
    ...extra,
  };
}

describe('candidateEndpoints', () => {
  it('takes the setting first, alone', () => {
    const out = candidateEndpoints(env({ setting: ' tcp://10.0.0.5:2375 ', env: { DOCKER_HOST: 'unix:///x.sock' } }));
    assert.deepStrictEqual(out.map((e) => [e.url, e.source]), [['tcp://10.0.0.5:2375', 'setting']]);
  });

  it('then DOCKER_HOST, over the current context', () => {
    const out = candidateEndpoints(env({ env: { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }, files: withContext('colima', 'unix:///c.sock') }));
    assert.deepStrictEqual(out.map((e) => [e.url, e.origin]), [['unix:///run/user/1000/docker.sock', 'DOCKER_HOST']]);
  });

  it('then the current docker context from config.json and its meta.json (named by SHA-256)', () => {
    const out = candidateEndpoints(env({ files: withContext('colima', `unix://${HOME}/.colima/default/docker.sock`) }));
    assert.deepStrictEqual(out.map((e) => [e.url, e.source, e.origin]), [[`unix://${HOME}/.colima/default/docker.sock`, 'context', "docker context 'colima'"]]);
  });

  it('lets DOCKER_CONTEXT and DOCKER_CONFIG choose the context', () => {
    const configDir = '/etc/dockercfg';
    const files = {
      [path.join(configDir, 'contexts', 'meta', contextId('remote'), 'meta.json')]: JSON.stringify({ Endpoints: { docker: { Host: 'ssh://me@box' } } }),
      [path.join(configDir, 'contexts', 'tls', contextId('remote'), 'docker', 'ca.pem')]: 'pem',
    };
    const [out] = candidateEndpoints(env({ env: { DOCKER_CONTEXT: 'remote', DOCKER_CONFIG: configDir }, files }));
    assert.strictEqual(out?.url, 'ssh://me@box');
    assert.strictEqual(out.tlsDir, path.join(configDir, 'contexts', 'tls', contextId('remote'), 'docker'));
  });

  it('ignores the "default" context and falls back to the usual sockets that exist', () => {
    const out = candidateEndpoints(
      env({
        env: { XDG_RUNTIME_DIR: '/run/user/1000' },
        files: { [path.join(HOME, '.docker', 'config.json')]: '{"currentContext":"default"}' },
        sockets: [path.join(HOME, '.docker', 'desktop', 'docker.sock'), '/run/user/1000/podman/podman.sock'],
      }),
    );
    assert.deepStrictEqual(
      out.map((e) => e.url),
      [`unix://${HOME}/.docker/desktop/docker.sock`, 'unix:///run/user/1000/podman/podman.sock'],
    );
  });

  it('names the platform default when no socket exists (for the message)', () => {
    assert.deepStrictEqual(candidateEndpoints(env()).map((e) => e.url), ['unix:///var/run/docker.sock']);
    assert.deepStrictEqual(candidateEndpoints(env({ platform: 'win32', exists: () => false })).map((e) => e.url), ['npipe:////./pipe/docker_engine']);
  });

  it('survives a broken config.json', () => {
    const out = candidateEndpoints(env({ files: { [path.join(HOME, '.docker', 'config.json')]: '{oops' }, sockets: ['/var/run/docker.sock'] }));
    assert.deepStrictEqual(out.map((e) => e.url), ['unix:///var/run/docker.sock']);
  });

  it('knows Docker Desktop, rootless Docker and Podman sockets', () => {
    const sockets = defaultSockets({ platform: 'linux', home: HOME, env: { XDG_RUNTIME_DIR: '/run/user/1000' } });
    for (const s of ['unix:///var/run/docker.sock', `unix://${HOME}/.docker/run/docker.sock`, 'unix:///run/user/1000/docker.sock', 'unix:///run/podman/podman.sock']) {
      assert.ok(sockets.includes(s), s);
    }
  });
});

describe('connectionTarget', () => {
  it('reads unix, npipe, tcp (with TLS) and ssh addresses', () => {
    assert.deepStrictEqual(connectionTarget('unix:///var/run/docker.sock'), { kind: 'socket', socketPath: '/var/run/docker.sock' });
    assert.deepStrictEqual(connectionTarget('npipe:////./pipe/docker_engine'), { kind: 'socket', socketPath: '//./pipe/docker_engine' });
    assert.deepStrictEqual(connectionTarget('tcp://127.0.0.1:2375'), { kind: 'tcp', host: '127.0.0.1', port: 2375, tls: false });
    assert.deepStrictEqual(connectionTarget('tcp://box:2376'), { kind: 'tcp', host: 'box', port: 2376, tls: true });
    assert.deepStrictEqual(connectionTarget('tcp://box:2375', { DOCKER_TLS_VERIFY: '1' }), { kind: 'tcp', host: 'box', port: 2375, tls: true });
    assert.deepStrictEqual(connectionTarget('ssh://me@box:2222'), { kind: 'ssh', host: 'box', port: 2222, username: 'me' });
    assert.deepStrictEqual(connectionTarget('127.0.0.1:2375'), { kind: 'tcp', host: '127.0.0.1', port: 2375, tls: false });
  });

  it('names an address it cannot use', () => {
    assert.throws(() => connectionTarget('ftp://box'), /'ftp:\/\/box' is not a Docker engine address/);
  });
});

describe('socketsCross', () => {
  it('is true only for a local Linux engine on a Unix socket', () => {
    assert.strictEqual(socketsCross('unix:///var/run/docker.sock', 'linux', 'Debian GNU/Linux 12 (bookworm)'), true);
    assert.strictEqual(socketsCross('unix:///home/a/.docker/desktop/docker.sock', 'linux', 'Docker Desktop'), false);
    assert.strictEqual(socketsCross('unix:///Users/a/.docker/run/docker.sock', 'darwin', 'Docker Desktop'), false);
    assert.strictEqual(socketsCross('tcp://box:2375', 'linux', 'Ubuntu'), false);
  });
});

describe('the "Docker is not running" message', () => {
  it('says what is wrong, where, and what to do', () => {
    const m = dockerUnavailableMessage('unix:///var/run/docker.sock', 'the usual socket paths', 'ENOENT', 'linux');
    assert.match(m, /^Docker is not running: no Docker engine answers at unix:\/\/\/var\/run\/docker\.sock \(from the usual socket paths; ENOENT\)\./);
    assert.match(m, /systemctl start docker/);
    assert.match(m, /pyml\.docker\.host/);
    assert.match(dockerUnavailableMessage('npipe:////./pipe/docker_engine', 'x', 'ENOENT', 'win32'), /Start Docker Desktop/);
  });

  it('explains a permission problem differently', () => {
    assert.match(dockerUnavailableMessage('unix:///var/run/docker.sock', 'x', 'EACCES', 'linux'), /permission denied.*docker' group/);
  });
});
