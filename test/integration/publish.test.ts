/**
 * Publish Image against a real registry (Debian's docker-registry, htpasswd auth, started by the test on
 * 127.0.0.1) and the real engine: the push with Docker's own credentials (a config file in a
 * DOCKER_CONFIG folder, and a real credential helper), the local registry tags removed, the image pulled
 * back by digest onto an engine that no longer has it and serving; a wrong password, an unknown registry
 * and a registry that dies mid-push each give their one message.
 */
import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildImage, prepareBuild } from '../../src/container/imageBuild';
import { startModel } from '../../src/container/runContainer';
import type { Manifest } from '../../src/model/manifest';
import { registryCredentials, type DockerConfigEnv } from '../../src/registry/dockerConfig';
import { lastPublishedReference, rememberPublished, type StateStore } from '../../src/registry/lastPublished';
import { publishImage, type PublishedImage } from '../../src/registry/publish';
import type { PushProgress } from '../../src/registry/pushLog';
import { digestTag, repositoryOf } from '../../src/registry/reference';
import { PublishError } from '../../src/registry/registryErrors';
import { missingPrerequisite } from '../prerequisite';
import { buildSettings, byteStrings, Cleanup, copyFixture, dataFrameRequest, fp64, rawOutput, REPO, requireBaseImage, runSettings, testEngine } from './helpers';
import { registryMissing, TestRegistry } from './registry';

const USER = 'publish-alice';
const PASSWORD = 'correct horse battery';

describe('publish: Publish Image to a real registry', function () {
  // The first push sends the base image's 2 GB layer (gzip on a loaded 2-core machine: minutes).
  this.timeout(25 * 60_000);
  const cleanup = new Cleanup();
  let registry: TestRegistry | undefined;
  let tmp: string;
  let folder: string;
  let name: string;
  let manifest: Manifest;
  let imageId: string;

  before(async function () {
    const missing = registryMissing();
    if (missing) missingPrerequisite(this, missing);
    await requireBaseImage();
    tmp = cleanup.dir(await fs.mkdtemp(path.join(os.tmpdir(), 'publish-it-')));
    registry = await TestRegistry.start(path.join(tmp, 'registry'), USER, PASSWORD);
    ({ folder, name } = await copyFixture('identity-df', cleanup));
    const prepared = await prepareBuild(folder, buildSettings);
    cleanup.image(prepared.tag);
    manifest = prepared.manifest;
    imageId = (await buildImage(await testEngine(), prepared, buildSettings)).imageId;
  });

  after(async () => {
    await registry?.stop();
    await cleanup.run();
  });

  /** A DOCKER_CONFIG folder holding `config`. */
  async function dockerConfig(label: string, config: unknown): Promise<DockerConfigEnv> {
    const dir = path.join(tmp, `docker-config-${label}`);
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
    const env = { ...process.env, DOCKER_CONFIG: dir };
    return { env, helper: { env } };
  }

  const basicAuth = (user: string, password: string): { auth: string } => ({ auth: Buffer.from(`${user}:${password}`).toString('base64') });

  async function publish(reg: { host: string }, configEnv: DockerConfigEnv, onProgress?: (p: PushProgress) => void): Promise<PublishedImage> {
    const engine = await testEngine();
    const credentials = await registryCredentials(reg.host, configEnv);
    return publishImage(engine, {
      imageId,
      repository: repositoryOf({ host: reg.host, namespace: 'publish-team' }, name),
      host: reg.host,
      version: manifest.version,
      credentials,
      ...(onProgress ? { onProgress } : {}),
    });
  }

  it('pushes with the credentials of Docker config auths; removes the local tags; pulls back by digest and serves', async () => {
    const reg = registry;
    assert.ok(reg);
    const engine = await testEngine();
    const configEnv = await dockerConfig('auths', { auths: { [reg.host]: basicAuth(USER, PASSWORD) } });
    const seen: PushProgress[] = [];
    const published = await publish(reg, configEnv, (p) => seen.push(p));
    const repository = `${reg.host}/publish-team/${name}`;
    assert.strictEqual(published.repository, repository);
    assert.match(published.manifestDigest, /^sha256:[0-9a-f]{64}$/);
    assert.strictEqual(published.reference, `${repository}@${published.manifestDigest}`);
    assert.deepStrictEqual(published.tags, [`${repository}:0.1.0`, `${repository}:${digestTag(imageId)}`]);
    // Progress: the layers, and bytes going up.
    const last = seen[seen.length - 1];
    assert.ok(last && last.layers >= 2 && last.layersDone === last.layers, JSON.stringify(last));
    assert.ok(seen.some((p) => p.bytesSent > 0 && p.bytesSent < p.bytesTotal), 'progress reported bytes part way');
    console.log(`      pushed ${published.progress.layers} layers (${published.progress.layersExisting} already there), ${published.progress.bytesSent} bytes; ${seen.length} progress reports; ${published.reference}`);

    // The registry has both tags, and the version tag names the pushed manifest.
    const tags = (await (await reg.api(`/v2/publish-team/${name}/tags/list`, USER, PASSWORD)).json()) as { tags: string[] };
    assert.deepStrictEqual([...tags.tags].sort(), ['0.1.0', digestTag(imageId)].sort());
    const head = await reg.api(`/v2/publish-team/${name}/manifests/0.1.0`, USER, PASSWORD, 'HEAD');
    assert.strictEqual(head.headers.get('docker-content-digest'), published.manifestDigest);

    // The local registry tags are gone; the image keeps its pyml/ tag.
    for (const tag of published.tags) await assert.rejects(engine.docker.getImage(tag).inspect(), /no such image/i, tag);
    const local = await engine.docker.getImage(imageId).inspect();
    assert.deepStrictEqual(local.RepoTags, [`pyml/${name}:0.1.0`]);

    // Remembered for the cluster's workers.
    const state = memoryState();
    await rememberPublished(state, { model: name, version: '0.1.0', reference: published.reference, repository, manifestDigest: published.manifestDigest, imageId, tags: published.tags, folder, publishedAt: new Date().toISOString() });
    assert.strictEqual(lastPublishedReference(state, name), published.reference);
    assert.strictEqual(lastPublishedReference(state, 'another-model'), undefined);

    // Remove the image from the engine entirely, then pull it back by digest.
    await engine.docker.getImage(imageId).remove({ force: true });
    await assert.rejects(engine.docker.getImage(imageId).inspect(), /no such image/i);
    await pull(published.reference, { username: USER, password: PASSWORD, serveraddress: reg.host });
    cleanup.image(published.reference);
    const pulled = await engine.docker.getImage(published.reference).inspect();
    assert.strictEqual(pulled.Id, imageId, 'the pulled image has the id it was tagged with (the content tag)');

    const model = cleanup.container(await startModel(engine, { folder, manifest, image: published.reference, mode: 'run', settings: runSettings }));
    const response = await model.infer(dataFrameRequest(name, [1.5, -2, 3.25], ['a', 'héllo', '']));
    assert.deepStrictEqual(fp64(rawOutput(response, 'x')), [1.5, -2, 3.25]);
    assert.deepStrictEqual(byteStrings(rawOutput(response, 'label')), ['a', 'héllo', '']);
    await model.stop(5);
    // Give the image its local tag back for the tests that follow.
    await engine.docker.getImage(imageId).tag({ repo: `pyml/${name}`, tag: '0.1.0' });
  });

  it('pushes with credentials from a credential helper named by credHelpers (docker-credential-<name> get)', async () => {
    const reg = registry;
    assert.ok(reg);
    const store = path.join(tmp, 'helper-store.txt');
    await fs.writeFile(store, `${reg.host} ${USER} ${PASSWORD}\n`);
    const configEnv = await dockerConfig('helper', { auths: { [reg.host]: basicAuth(USER, 'not this one') }, credHelpers: { [reg.host]: 'pyml-test' } });
    const env = { ...configEnv.env, PATH: `${path.join(REPO, 'test', 'fixtures', 'registry')}${path.delimiter}${process.env['PATH'] ?? ''}`, PYML_TEST_CREDENTIALS: store };
    const published = await publish(reg, { env, helper: { env } });
    assert.match(published.reference, /@sha256:[0-9a-f]{64}$/);
    assert.deepStrictEqual((await fs.readFile(`${store}.asked`, 'utf8')).trim().split('\n'), [reg.host]);
  });

  it('a wrong password: the registry refused the user, in plain words', async () => {
    const reg = registry;
    assert.ok(reg);
    const configEnv = await dockerConfig('wrong', { auths: { [reg.host]: basicAuth(USER, 'wrong password') } });
    await assert.rejects(publish(reg, configEnv), (err: unknown) => {
      assert.ok(err instanceof PublishError, String(err));
      assert.strictEqual(err.failure, 'auth');
      assert.match(err.message, new RegExp(`^The registry ${reg.host.replace(/\./g, '\\.')} refused the user name and password of '${USER}' \\(from auths\\["${reg.host.replace(/\./g, '\\.')}"\\] in .*config\\.json\\): it answered “unauthorized: authentication required”`));
      console.log(`      ${err.message}`);
      return true;
    });
  });

  it('an unknown registry: a clear message that its name does not resolve', async () => {
    const host = 'pyml-publish-nowhere.invalid';
    const configEnv = await dockerConfig('unknown', {});
    await assert.rejects(publish({ host }, configEnv), (err: unknown) => {
      assert.ok(err instanceof PublishError, String(err));
      assert.strictEqual(err.failure, 'unreachable');
      assert.match(err.message, /^Cannot reach the registry pyml-publish-nowhere\.invalid: the name 'pyml-publish-nowhere\.invalid' does not resolve \(DNS lookup failed\)/);
      console.log(`      ${err.message}`);
      return true;
    });
  });

  it('a registry that dies mid-push: the push stopped halfway, and how far it got', async () => {
    // A registry of its own with empty storage, so the big layer really goes up, killed once bytes flow.
    const dying = await TestRegistry.start(path.join(tmp, 'registry-dying'), USER, PASSWORD);
    try {
      const configEnv = await dockerConfig('dying', { auths: { [dying.host]: basicAuth(USER, PASSWORD) } });
      let killed = false;
      await assert.rejects(
        publish(dying, configEnv, (p) => {
          if (!killed && p.bytesSent > 0 && p.layersDone < p.layers) {
            killed = true;
            void dying.stop('SIGKILL');
          }
        }),
        (err: unknown) => {
          assert.ok(err instanceof PublishError, String(err));
          assert.ok(killed, 'the registry was killed during the push');
          assert.strictEqual(err.failure, 'interrupted');
          assert.match(err.message, /stopped halfway \(\d+ of \d+ layers/);
          console.log(`      ${err.message}`);
          return true;
        },
      );
      // Nothing of the failed push is left tagged locally.
      const engine = await testEngine();
      const images = await engine.docker.listImages({ filters: { reference: [`${dying.host}/publish-team/*`] } });
      assert.deepStrictEqual(images.map((i) => i.RepoTags), []);
    } finally {
      await dying.stop('SIGKILL');
    }
  });
});

function memoryState(): StateStore {
  const values = new Map<string, unknown>();
  return {
    get: (key) => values.get(key),
    update: (key, value) => {
      values.set(key, value);
      return Promise.resolve();
    },
  };
}

/** Pulls a reference through the engine, failing on the stream's error. */
async function pull(reference: string, authconfig: { username: string; password: string; serveraddress: string }): Promise<void> {
  const engine = await testEngine();
  const stream = (await engine.docker.pull(reference, { authconfig })) as AsyncIterable<Buffer>;
  let text = '';
  for await (const chunk of stream) text += chunk.toString('utf8');
  const error = text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { error?: string })
    .find((m) => m.error);
  if (error) throw new Error(`pull of ${reference} failed: ${error.error}`);
}
