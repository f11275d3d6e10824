import * as assert from 'assert';
import type Docker from 'dockerode';
import { containerSpec } from '../../../src/container/runSpec';
import { attachArguments, configurationProblem, defaultConfiguration } from '../../../src/debug/debugConfiguration';
import { debugDockerfile, debugImageTag, DEBUGPY_MISSING } from '../../../src/debug/image';
import { addDebugger, DEBUG_LABEL, debugEndpoint } from '../../../src/debug/spec';
import { DebugState } from '../../../src/debug/state';

const base = {
  name: 'pyml-m-123',
  image: 'pyml/m:0.1.0-debug',
  modelName: 'm',
  folder: '/home/u/m',
  mode: 'dev' as const,
  hostUser: { uid: 1000, gid: 1000 },
  network: false,
  memory: '1g',
  cpus: 1,
  maxMessageMB: 64,
};

describe('debug: container spec', () => {
  it('Unix transport: relay socket in the socket folder, no network, nothing published', () => {
    const spec = containerSpec({ ...base, socketDir: '/run/user/1000/pyml/abc', address: 'unix:///run/user/1000/pyml/abc/model.sock' });
    addDebugger(spec, { wait: false });
    assert.deepStrictEqual(spec.Entrypoint, ['python3', '-Xfrozen_modules=off', '-m', 'pyml']);
    assert.deepStrictEqual(spec.Cmd?.slice(-2), ['--debug-socket', '/run/pyml/debug.sock']);
    assert.strictEqual(spec.HostConfig?.NetworkMode, 'none');
    assert.strictEqual(spec.ExposedPorts, undefined);
    assert.strictEqual(spec.HostConfig.PortBindings, undefined);
    assert.strictEqual(spec.Labels?.[DEBUG_LABEL], 'unix');
    assert.ok(spec.Env?.includes('PYDEVD_DISABLE_FILE_VALIDATION=1'));
  });

  it('TCP transport: debugpy port published on 127.0.0.1 only; wait adds --debug-wait', () => {
    const spec = containerSpec(base);
    addDebugger(spec, { wait: true });
    assert.deepStrictEqual(spec.Cmd?.slice(-5), ['--debug-port', '5678', '--debug-host', '0.0.0.0', '--debug-wait']);
    const bindings = spec.HostConfig?.PortBindings as Record<string, { HostIp: string }[]>;
    assert.deepStrictEqual(
      Object.values(bindings).flat().map((b) => b.HostIp),
      ['127.0.0.1', '127.0.0.1'],
    );
    assert.ok(spec.ExposedPorts && '5678/tcp' in spec.ExposedPorts);
  });

  it('finds the endpoint: the socket beside model.sock, or the published port', () => {
    const info = { NetworkSettings: { Ports: { '5678/tcp': [{ HostIp: '127.0.0.1', HostPort: '49153' }] } } } as unknown as Docker.ContainerInspectInfo;
    assert.deepStrictEqual(debugEndpoint('/tmp/pyml-0/abc', info), { kind: 'unix', path: '/tmp/pyml-0/abc/debug.sock' });
    assert.deepStrictEqual(debugEndpoint(undefined, info), { kind: 'tcp', host: '127.0.0.1', port: 49153 });
    assert.strictEqual(debugEndpoint(undefined, { NetworkSettings: { Ports: {} } } as unknown as Docker.ContainerInspectInfo), undefined);
  });
});

describe('debug: image', () => {
  it('tags the debug image beside the model image', () => {
    assert.strictEqual(debugImageTag('pyml/churn:0.1.0'), 'pyml/churn:0.1.0-debug');
    assert.strictEqual(debugImageTag('localhost:5000/churn'), 'localhost:5000/churn:debug');
  });

  it('keeps debugpy from the base image, else apt, else pip, else names what to add', () => {
    const text = debugDockerfile('pyml/churn:0.1.0');
    assert.match(text, /^FROM pyml\/churn:0\.1\.0$/m);
    const run = text.split('\n').find((l) => l.startsWith('RUN ')) ?? '';
    const order = ['import debugpy', 'python3-debugpy', 'pip install debugpy', DEBUGPY_MISSING].map((s) => run.indexOf(s));
    assert.ok(order.every((i, n) => i >= 0 && (n === 0 || i > (order[n - 1] ?? 0))), run);
    assert.match(run, /packages\.txt/);
    assert.match(text, /^USER 10001:10001$/m);
  });
});

describe('debug: configuration', () => {
  it('maps the model folder and the runtime to their paths in the image; justMyCode from the setting', () => {
    const args = attachArguments(defaultConfiguration('/w/churn'), '/w/churn', '/ext/runtime', true);
    assert.strictEqual(args.request, 'attach');
    assert.strictEqual(args.justMyCode, true);
    assert.deepStrictEqual(args.pathMappings, [
      { localRoot: '/w/churn', remoteRoot: '/opt/pyml/model' },
      { localRoot: '/ext/runtime/pyml', remoteRoot: '/opt/pyml/lib/pyml' },
    ]);
    assert.strictEqual(attachArguments({ ...defaultConfiguration('/w/churn'), justMyCode: false }, '/w/churn', '/r', true).justMyCode, false);
  });

  it('leaves the wait option to the setting unless given, and checks the attributes', () => {
    assert.strictEqual('waitForDebugger' in defaultConfiguration('/w'), false);
    assert.strictEqual(defaultConfiguration('/w', true).waitForDebugger, true);
    assert.strictEqual(configurationProblem(defaultConfiguration('/w')), undefined);
    assert.match(configurationProblem({ ...defaultConfiguration(), waitForDebugger: 'yes' as unknown as boolean }) ?? '', /waitForDebugger/);
    assert.match(configurationProblem({ ...defaultConfiguration(), request: 'test' }) ?? '', /request/);
  });
});

describe('debug: state the panel reads', () => {
  it('knows attached addresses and pauses, and tells listeners', () => {
    const state = new DebugState();
    const seen: string[] = [];
    state.onDidChange((i) => seen.push(`${i.address}:${i.paused}`));
    state.setPaused('unix:///a', true); // not attached: ignored
    state.attach('unix:///a');
    state.setPaused('unix:///a', true, 'breakpoint');
    assert.strictEqual(state.pause('unix:///a')?.reason, 'breakpoint');
    state.setPaused('unix:///a', false);
    state.detach('unix:///a');
    assert.strictEqual(state.isAttached('unix:///a'), false);
    assert.deepStrictEqual(seen, ['unix:///a:false', 'unix:///a:true', 'unix:///a:false', 'unix:///a:false']);
  });
});
