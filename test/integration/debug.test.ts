/**
 * Debugging a model in its own container, against a real dockerd: the debug image (debugpy from the
 * base image), the container with `--network none` and debugpy behind the runtime's Unix-socket
 * relay, and a plain DAP client on that socket: a breakpoint in predict() is hit by a ModelInfer,
 * the DataFrame is evaluated, Continue gives the right answer; with the wait option a breakpoint in
 * __init__ is hit before the model is ready.
 */
import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as path from 'path';
import { buildImage, prepareBuild, type PreparedBuild } from '../../src/container/imageBuild';
import type { ModelContainer } from '../../src/container/modelContainer';
import { startModel } from '../../src/container/runContainer';
import { attachArguments, defaultConfiguration } from '../../src/debug/debugConfiguration';
import { waitForDebugger } from '../../src/debug/endpoint';
import { buildDebugImage, debugDockerfile } from '../../src/debug/image';
import { addDebugger, debugEndpoint, type DebugEndpoint } from '../../src/debug/spec';
import { DapClient } from './dap';
import { DEBUG_MODEL, INIT_LINE, PREDICT_LINE } from './debugModel';
import { buildSettings, Cleanup, copyFixture, dataFrameRequest, fp64, rawOutput, requireBaseImage, runSettings, RUNTIME_DIR, testEngine } from './helpers';


describe('debug: predict() in the running container', function () {
  this.timeout(300_000);
  const cleanup = new Cleanup();
  let folder = '';
  let modelFile = '';
  let prepared: PreparedBuild;
  let debugTag = '';
  const clients: DapClient[] = [];
  const debugBuildLog: string[] = [];

  before(async () => {
    await requireBaseImage();
    const engine = await testEngine();
    ({ folder } = await copyFixture('identity-df', cleanup));
    modelFile = path.join(folder, 'model.py');
    await fs.writeFile(modelFile, DEBUG_MODEL);
    prepared = await prepareBuild(folder, buildSettings);
    cleanup.image(prepared.tag);
    await buildImage(engine, prepared, buildSettings);
    debugTag = await buildDebugImage(engine, prepared.tag, (line) => debugBuildLog.push(line));
    cleanup.image(debugTag);
  });
  after(async () => {
    for (const c of clients) c.close();
    await cleanup.run();
  });

  /** Starts the debug container; `attach` runs once the debugger listens, before the model is ready. */
  async function startDebug(wait: boolean, attach: (endpoint: DebugEndpoint, model: ModelContainer) => Promise<void>): Promise<ModelContainer> {
    const engine = await testEngine();
    const model = await startModel(engine, {
      folder,
      manifest: prepared.manifest,
      image: debugTag,
      mode: 'dev',
      settings: runSettings,
      customize: (spec) => {
        addDebugger(spec, { wait });
      },
      beforeReady: async (m, info) => {
        cleanup.container(m);
        const endpoint = debugEndpoint(m.info.socketDir, info);
        assert.ok(endpoint, 'no debugger endpoint');
        await waitForDebugger(m, endpoint);
        await attach(endpoint, m);
      },
    });
    return cleanup.container(model);
  }

  async function connect(endpoint: DebugEndpoint): Promise<DapClient> {
    const client = await DapClient.connect(endpoint.kind === 'unix' ? endpoint.path : { host: endpoint.host, port: endpoint.port });
    clients.push(client);
    return client;
  }

  function attachArgs(): Record<string, unknown> {
    return attachArguments(defaultConfiguration(folder), folder, RUNTIME_DIR, true);
  }

  it('has debugpy from the base image: the debug layer installs nothing', () => {
    assert.match(debugDockerfile(prepared.tag), /import debugpy/);
    assert.ok(debugBuildLog.some((l) => l.startsWith('Successfully tagged')), debugBuildLog.join('\n'));
    assert.ok(!debugBuildLog.some((l) => /^(Get:|Setting up|Collecting|Unpacking)/.test(l)), debugBuildLog.join('\n'));
  });

  it('stops at a breakpoint in predict(), evaluates the DataFrame, and answers after Continue', async () => {
    let dap: DapClient | undefined;
    let endpoint: DebugEndpoint | undefined;
    const model = await startDebug(false, async (where) => {
      endpoint = where;
      dap = await connect(where);
      const set = await dap.attach(attachArgs(), { [modelFile]: [PREDICT_LINE] });
      const bps = (set.get(modelFile)?.body?.['breakpoints'] ?? []) as { verified: boolean; line: number }[];
      assert.strictEqual(bps[0]?.line, PREDICT_LINE);
    });
    assert.ok(dap && endpoint);
    // The container has no network at all: the debugger came through the socket folder.
    assert.strictEqual(endpoint.kind, 'unix');
    const inspect = await model.container.inspect();
    assert.strictEqual(inspect.HostConfig.NetworkMode, 'none');
    assert.doesNotMatch(JSON.stringify(inspect.NetworkSettings.Ports), /HostPort/, 'nothing is published');

    const answer = model.infer(dataFrameRequest(model.info.modelName, [1.5, 2, 3], ['a', 'b', 'c']), { deadlineMs: 120_000 });
    const stopped = await dap.waitForEvent('stopped');
    assert.strictEqual(stopped.body?.['reason'], 'breakpoint');
    const threadId = stopped.body['threadId'] as number;
    const frame = await dap.topFrame(threadId);
    assert.strictEqual(frame.line, PREDICT_LINE);
    assert.strictEqual(frame.name, 'predict');
    assert.strictEqual(frame.source?.path, modelFile, 'the path mapping gives the host file');
    assert.strictEqual(await dap.evaluate('len(df)', frame.id), '3');
    assert.strictEqual(await dap.evaluate('list(df.columns)', frame.id), "['x', 'label']");
    await dap.request('continue', { threadId });
    const response = await answer;
    assert.deepStrictEqual(fp64(rawOutput(response, 'x')), [3, 4, 6]);
    await dap.request('disconnect', { terminateDebuggee: false }).catch(() => undefined);
    await model.stop(2);
  });

  it('with the wait option, stops in __init__ before the model is ready', async () => {
    let readyBeforeContinue: boolean | undefined;
    let paused: (value: Promise<void>) => void = () => undefined;
    // What happens at the breakpoint runs beside startModel's readiness wait, which ends after Continue.
    const atBreakpoint = new Promise<Promise<void>>((resolve) => {
      paused = resolve;
    });
    const started = startDebug(true, async (where, m) => {
      const dap = await connect(where);
      await dap.attach(attachArgs(), { [modelFile]: [INIT_LINE] });
      paused(
        (async () => {
          const stopped = await dap.waitForEvent('stopped');
          const threadId = stopped.body?.['threadId'] as number;
          const frame = await dap.topFrame(threadId);
          assert.strictEqual(frame.line, INIT_LINE);
          assert.strictEqual(frame.name, '__init__');
          assert.strictEqual(await dap.evaluate('type(self).__name__', frame.id), "'IdentityModel'");
          readyBeforeContinue = await m.client.modelReady(m.info.modelName, '', { deadlineMs: 5000 });
          await dap.request('continue', { threadId });
        })(),
      );
    });
    const [model] = await Promise.all([started, atBreakpoint.then((p) => p)]);
    assert.strictEqual(readyBeforeContinue, false, 'the model must not be ready while __init__ is paused');
    const response = await model.infer(dataFrameRequest(model.info.modelName, [5], ['e']), { deadlineMs: 60_000 });
    assert.deepStrictEqual(fp64(rawOutput(response, 'x')), [10]);
    await model.stop(2);
  });
});
