/**
 * The push stream and its failures, fed the messages dockerd 20.10 really sent in a push to Debian's
 * docker-registry (recorded by hand on this machine), and the pyml.registry setting.
 */
import * as assert from 'assert';
import { describeProgress, PushLog } from '../../../src/registry/pushLog';
import { digestTag, parseRegistry, repositoryOf, versionTag } from '../../../src/registry/reference';
import { explainPushFailure, type FailureContext } from '../../../src/registry/registryErrors';

const DIGEST = 'sha256:84f69d950084021d687675d2c28d18a2773f303995afe48f597cb5dbf0baadcb';
const PUSH = [
  { status: 'The push refers to repository [127.0.0.1:45123/team/probe]' },
  { status: 'Preparing', progressDetail: {}, id: 'b769fffb5824' },
  { status: 'Preparing', progressDetail: {}, id: '247f9cf35bd8' },
  { status: 'Waiting', progressDetail: {}, id: '247f9cf35bd8' },
  { status: 'Pushing', progressDetail: { current: 512, total: 3 }, id: 'b769fffb5824' },
  { status: 'Pushing', progressDetail: { current: 2048, total: 3 }, id: 'b769fffb5824' },
  { status: 'Pushed', progressDetail: {}, id: 'b769fffb5824' },
  { status: 'Pushing', progressDetail: { current: 524800, total: 2163432280 }, id: '247f9cf35bd8' },
  { status: 'Pushing', progressDetail: { current: 1000000000, total: 2163432280 }, id: '247f9cf35bd8' },
];
const END = [
  { status: 'Pushed', progressDetail: {}, id: '247f9cf35bd8' },
  { status: `1: digest: ${DIGEST} size: 737` },
  { progressDetail: {}, aux: { Tag: '1', Digest: DIGEST, Size: 737 } },
];

function context(over: Partial<FailureContext> = {}): FailureContext {
  return {
    host: '127.0.0.1:45123',
    reference: '127.0.0.1:45123/team/probe:1',
    user: 'alice',
    credentialSource: 'auths["127.0.0.1:45123"] in /tmp/d/config.json',
    progress: { layers: 2, layersDone: 1, layersExisting: 0, bytesSent: 1_000_002_048, bytesTotal: 2_163_434_328, sizesKnown: true },
    started: true,
    ...over,
  };
}

describe('registry: the push stream', () => {
  it('counts layers and bytes, and takes the manifest digest', () => {
    const log = new PushLog();
    for (const m of PUSH) log.feed(m);
    assert.ok(log.started);
    assert.deepStrictEqual(log.progress(), { layers: 2, layersDone: 1, layersExisting: 0, bytesSent: 1_000_002_048, bytesTotal: 2_163_434_328, sizesKnown: true });
    assert.strictEqual(describeProgress(log.progress()), '1 of 2 layers · 1.0 GB of 2.2 GB');
    for (const m of END) log.feed(m);
    assert.strictEqual(log.digest, DIGEST);
    assert.strictEqual(log.progress().layersDone, 2);
    assert.strictEqual(log.progress().bytesSent, log.progress().bytesTotal);
    assert.ok(log.lines.includes('247f9cf35bd8: Pushed'));
  });

  it('while a layer has not said its size, the bytes are what was sent, not a total', () => {
    const log = new PushLog();
    for (const m of PUSH.slice(0, 6)) log.feed(m);
    assert.strictEqual(log.progress().sizesKnown, false);
    assert.strictEqual(describeProgress(log.progress()), '0 of 2 layers · 2.0 kB sent');
  });

  it('layers the registry had count as already there', () => {
    const log = new PushLog();
    log.feed({ status: 'Preparing', progressDetail: {}, id: 'a' });
    log.feed({ status: 'Layer already exists', progressDetail: {}, id: 'a' });
    log.feed({ status: 'Mounted from team/other', progressDetail: {}, id: 'b' });
    assert.deepStrictEqual(log.progress(), { layers: 2, layersDone: 2, layersExisting: 2, bytesSent: 0, bytesTotal: 0, sizesKnown: true });
    assert.ok(!log.started);
    assert.strictEqual(describeProgress(log.progress()), '2 of 2 layers (2 already there)');
  });

  it('keeps the error dockerd sends in the stream', () => {
    const log = new PushLog();
    log.feed({ errorDetail: { message: 'unauthorized: authentication required' }, error: 'unauthorized: authentication required' });
    assert.strictEqual(log.error, 'unauthorized: authentication required');
  });
});

describe('registry: one message per failure', () => {
  it('a wrong password: the registry refused the user, in its own words', () => {
    const e = explainPushFailure('unauthorized: authentication required', context({ started: false }));
    assert.strictEqual(e.failure, 'auth');
    assert.match(e.message, /^The registry 127\.0\.0\.1:45123 refused the user name and password of 'alice' \(from auths\["127\.0\.0\.1:45123"\] in .*\): it answered “unauthorized: authentication required”\. Log in again with `docker login 127\.0\.0\.1:45123`/);
  });

  it('no credentials at all, and a user without push rights, are told apart', () => {
    assert.match(explainPushFailure('unauthorized: authentication required', context({ user: undefined, started: false })).message, /refused the push without credentials/);
    const denied = explainPushFailure('denied: requested access to the resource is denied', context({ started: false }));
    assert.strictEqual(denied.failure, 'auth');
    assert.match(denied.message, /accepted 'alice' but refused to let them push 127\.0\.0\.1:45123\/team\/probe:1/);
  });

  it('an unknown registry: the name does not resolve', () => {
    const said = 'Get "https://nosuch.invalid/v2/": dial tcp: lookup nosuch.invalid on 10.255.255.53:53: no such host';
    const e = explainPushFailure(said, context({ host: 'nosuch.invalid', started: false }));
    assert.strictEqual(e.failure, 'unreachable');
    assert.match(e.message, /^Cannot reach the registry nosuch\.invalid: the name 'nosuch\.invalid' does not resolve \(DNS lookup failed\)\. Check the host in pyml\.registry\./);
  });

  it('nothing listening, and plain HTTP where Docker wants TLS', () => {
    const refused = 'Get "http://127.0.0.1:45999/v2/": dial tcp 127.0.0.1:45999: connect: connection refused';
    assert.match(explainPushFailure(refused, context({ started: false })).message, /nothing accepts connections there \(connection refused\)/);
    const http = 'Get "https://reg.lan:5000/v2/": http: server gave HTTP response to HTTPS client';
    assert.match(explainPushFailure(http, context({ host: 'reg.lan:5000', started: false })).message, /speaks plain HTTP.*insecure-registries/);
  });

  it('a push that stopped halfway says how far it got, whatever the low-level reason', () => {
    const said = 'Put "http://127.0.0.1:45123/v2/team/probe/blobs/uploads/x": dial tcp 127.0.0.1:45123: connect: connection refused';
    const e = explainPushFailure(said, context());
    assert.strictEqual(e.failure, 'interrupted');
    assert.match(e.message, /^The push of 127\.0\.0\.1:45123\/team\/probe:1 stopped halfway \(1 of 2 layers · 1\.0 GB of 2\.2 GB\): “Put /);
    assert.match(e.message, /The tag was not written/);
  });
});

describe('registry: the pyml.registry setting and the tags', () => {
  it('reads a host with a port and a path, a scheme, and a Docker Hub namespace', () => {
    assert.deepStrictEqual(parseRegistry('registry.example.com/team'), { host: 'registry.example.com', namespace: 'team' });
    assert.deepStrictEqual(parseRegistry('https://127.0.0.1:5000/a/b/'), { host: '127.0.0.1:5000', namespace: 'a/b' });
    assert.deepStrictEqual(parseRegistry('localhost:5000'), { host: 'localhost:5000', namespace: '' });
    assert.deepStrictEqual(parseRegistry('myuser'), { host: 'docker.io', namespace: 'myuser' });
    assert.strictEqual(repositoryOf(parseRegistry('registry.example.com/team'), 'Churn Model'), 'registry.example.com/team/churn-model');
  });

  it('refuses what Docker would refuse, saying which part', () => {
    assert.throws(() => parseRegistry(' '), /pyml\.registry is empty/);
    assert.throws(() => parseRegistry('registry.example.com/Team'), /'Team' is not a valid repository path component/);
    assert.throws(() => parseRegistry('reg_istry.example.com/team'), /'reg_istry\.example\.com' is not a registry host/);
  });

  it('tags the version and the image id', () => {
    assert.strictEqual(versionTag('0.1.0+build 5'), '0.1.0-build-5');
    assert.strictEqual(digestTag(`sha256:${'ab'.repeat(32)}`), `sha256-${'ab'.repeat(32)}`);
    assert.throws(() => digestTag('abc'), /not an image id/);
  });
});
