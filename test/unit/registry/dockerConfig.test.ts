/**
 * Docker's config and credential helpers, read as the docker CLI reads them: real files in a
 * DOCKER_CONFIG folder, and a real helper program (test/fixtures/registry) spoken to over the
 * helper protocol, no mock of it.
 */
import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { helperGet } from '../../../src/registry/credentialHelper';
import { dockerConfigPath, registryCredentials } from '../../../src/registry/dockerConfig';

const REPO = path.resolve(__dirname, '..', '..', '..', '..');
const HELPERS = path.join(REPO, 'test', 'fixtures', 'registry');

describe('registry: Docker config and credential helpers', () => {
  let dir: string;
  let store: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'publish-unit-'));
    store = path.join(dir, 'store.txt');
    await fs.writeFile(store, 'reg.example.com:5000 helper-user helper-pass\nhttps://index.docker.io/v1/ hub-user hub-pass\ntok.example.com <token> refresh-123\n');
    env = { DOCKER_CONFIG: path.join(dir, 'docker'), PATH: `${HELPERS}${path.delimiter}${process.env['PATH'] ?? ''}`, PYML_TEST_CREDENTIALS: store };
    await fs.mkdir(path.join(dir, 'docker'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  const writeConfig = (config: unknown): Promise<void> => fs.writeFile(path.join(dir, 'docker', 'config.json'), JSON.stringify(config));
  const credentials = (host: string) => registryCredentials(host, { env, helper: { env } });

  it('finds the file as the docker CLI does: $DOCKER_CONFIG/config.json, else ~/.docker/config.json', () => {
    assert.strictEqual(dockerConfigPath({ env: { DOCKER_CONFIG: '/cfg' }, home: '/home/ada' }), '/cfg/config.json');
    assert.strictEqual(dockerConfigPath({ env: {}, home: '/home/ada' }), '/home/ada/.docker/config.json');
    assert.strictEqual(dockerConfigPath({ env: { DOCKER_CONFIG: '' }, home: '/home/ada' }), '/home/ada/.docker/config.json');
  });

  it('decodes auths: base64 user:password (a colon in the password kept), by exact key or by host', async () => {
    await writeConfig({
      auths: {
        'reg.example.com:5000': { auth: Buffer.from('alice:pa:ss').toString('base64') },
        'https://other.example.com/v1/': { auth: Buffer.from('bob:pw').toString('base64') },
        'tok.example.com': { identitytoken: 'abc' },
      },
    });
    const a = await credentials('reg.example.com:5000');
    assert.deepStrictEqual(a.auth, { serveraddress: 'reg.example.com:5000', username: 'alice', password: 'pa:ss' });
    assert.match(a.source, /auths\["reg\.example\.com:5000"\] in .*config\.json/);
    const b = await credentials('other.example.com');
    assert.deepStrictEqual(b.auth, { serveraddress: 'other.example.com', username: 'bob', password: 'pw' });
    const c = await credentials('tok.example.com');
    assert.deepStrictEqual(c.auth, { serveraddress: 'tok.example.com', identitytoken: 'abc' });
    const none = await credentials('unknown.example.com');
    assert.strictEqual(none.auth, undefined);
    assert.match(none.source, /no entry for unknown\.example\.com/);
  });

  it('no config file: no credentials, and says where it looked', async () => {
    const none = await credentials('reg.example.com:5000');
    assert.strictEqual(none.auth, undefined);
    assert.match(none.source, /no Docker config at .*docker\/config\.json/);
  });

  it('asks credsStore through docker-credential-<name> get, with the Docker Hub key for Hub', async () => {
    await writeConfig({ auths: { 'reg.example.com:5000': {} }, credsStore: 'pyml-test' });
    const a = await credentials('reg.example.com:5000');
    assert.deepStrictEqual(a.auth, { serveraddress: 'reg.example.com:5000', username: 'helper-user', password: 'helper-pass' });
    assert.match(a.source, /docker-credential-pyml-test \(credsStore in .*config\.json\)/);
    const hub = await credentials('docker.io');
    assert.deepStrictEqual(hub.auth, { serveraddress: 'docker.io', username: 'hub-user', password: 'hub-pass' });
    const asked = (await fs.readFile(`${store}.asked`, 'utf8')).trim().split('\n');
    assert.deepStrictEqual(asked, ['reg.example.com:5000', 'https://index.docker.io/v1/']);
  });

  it('credHelpers wins over credsStore and auths for its registry; <token> is an identity token', async () => {
    await writeConfig({
      auths: { 'tok.example.com': { auth: Buffer.from('x:y').toString('base64') } },
      credsStore: 'pyml-broken',
      credHelpers: { 'tok.example.com': 'pyml-test' },
    });
    const t = await credentials('tok.example.com');
    assert.deepStrictEqual(t.auth, { serveraddress: 'tok.example.com', identitytoken: 'refresh-123' });
    assert.match(t.source, /credHelpers\["tok\.example\.com"\]/);
  });

  it('a helper with no credentials for the server means none (the registry decides), not an error', async () => {
    await writeConfig({ credsStore: 'pyml-test' });
    const none = await credentials('nothing.example.com');
    assert.strictEqual(none.auth, undefined);
    assert.match(none.source, /has none for nothing\.example\.com/);
  });

  it('a missing or failing helper, or a bad file, is an error that names the helper or the file', async () => {
    await writeConfig({ credsStore: 'pyml-absent' });
    await assert.rejects(credentials('reg.example.com:5000'), /docker-credential-pyml-absent is not on PATH \(credsStore in .*config\.json names the credential helper 'pyml-absent'\)/);
    await writeConfig({ credsStore: 'pyml-broken' });
    await assert.rejects(credentials('reg.example.com:5000'), /docker-credential-pyml-broken get failed for reg\.example\.com:5000 \(exit 1; .*\): .*decryption failed/);
    await fs.writeFile(path.join(dir, 'docker', 'config.json'), '{"auths": ');
    await assert.rejects(credentials('reg.example.com:5000'), /Docker's config .*config\.json is not valid JSON/);
    await writeConfig({ auths: { 'reg.example.com:5000': { auth: Buffer.from('no-colon').toString('base64') } } });
    await assert.rejects(credentials('reg.example.com:5000'), /'auth' is not base64 of user:password/);
  });

  it('helperGet speaks the protocol with the real helper directly', async () => {
    assert.deepStrictEqual(await helperGet('pyml-test', 'reg.example.com:5000', 'test', { env }), { username: 'helper-user', secret: 'helper-pass' });
    assert.strictEqual(await helperGet('pyml-test', 'nope', 'test', { env }), undefined);
  });
});
