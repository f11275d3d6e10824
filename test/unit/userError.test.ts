/**
 * The one error path (src/userError.ts) over real error shapes: a dead Docker socket through the real
 * engine connection, a failed build from a real pip log, a real gRPC UNAVAILABLE from the real V2
 * client, a model exception as the runtime reports it, the batch failures, and errors of no known kind.
 * The contexts are the ones the commands pass (commands/table.ts, containerPrompts.ts, batch.ts).
 */
import { status } from '@grpc/grpc-js';
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BatchCancelledError, BatchFailedError, SchemaMismatchError } from '../../src/batch/batchErrors';
import { BuildLog, explainFailure } from '../../src/container/buildLog';
import { BuildFailedError, ContainerExitedError, DockerUnavailableError, ReadinessTimeoutError } from '../../src/container/containerErrors';
import type { DockerfileStep } from '../../src/container/dockerfile';
import { connectEngine } from '../../src/container/engine';
import { parseModelErrorReport } from '../../src/protocol/modelError';
import { V2Client, V2Error } from '../../src/protocol/v2client';
import { actionLabel, explainError, UserError, type UserAction } from '../../src/userError';

const REPO = path.resolve(__dirname, '..', '..', '..');
const PROTO = path.join(REPO, 'runtime', 'pyml', 'proto', 'grpc_predict_v2.proto');

const labels = (actions: readonly UserAction[]): string[] => actions.map(actionLabel);

/** A build that failed at its pip step with the real output of pip offline (test/fixtures/build-logs). */
function realBuildFailure(): BuildFailedError {
  const steps: DockerfileStep[] = [
    { role: 'base', instruction: 'FROM pyml-base:bookworm' },
    { role: 'model-requirements-copy', instruction: 'COPY model/requirements.txt /opt/pyml/model-requirements.txt' },
    { role: 'model-requirements', instruction: 'RUN python3 -m pip install -r /opt/pyml/model-requirements.txt' },
  ];
  const log = new BuildLog();
  log.feed({ stream: `Step 3/3 : ${steps[2]?.instruction ?? ''}\n` });
  const lines = fs.readFileSync(path.join(REPO, 'test', 'fixtures', 'build-logs', 'pip-offline.log'), 'utf8').trimEnd().split('\n');
  for (const l of lines) log.feed({ stream: `${l}\n` });
  log.feed({ error: "The command '/bin/sh -c python3 -m pip install -r /opt/pyml/model-requirements.txt' returned a non-zero code: 1" });
  const explained = explainFailure(log, steps, { requirements: 'numpy\nnonexistent-pkg==1.0\n' });
  return new BuildFailedError(explained.message, 3, steps[2]?.instruction, explained.diagnostics, lines.slice(-5));
}

/** A model exception as the runtime sends it in its error trailer (runtime/README.md). */
const MODEL_REPORT = parseModelErrorReport(
  JSON.stringify({
    type: 'ValueError',
    message: "cannot score the label 'boom'",
    phase: 'predict',
    frames: [
      { file: '/usr/lib/python3/dist-packages/pyml/dataplane.py', line: 120, function: 'infer', code: 'out = model.predict(df)', in_model: false },
      { file: 'model.py', line: 13, function: 'predict', code: 'raise ValueError(...)', in_model: true },
    ],
    traceback: "Traceback (most recent call last):\n  File \"model.py\", line 13, in predict\nValueError: cannot score the label 'boom'",
    truncated: false,
  }),
);

describe('explainError: one explanation for every error', () => {
  it('Docker not running (a real connection to a dead socket): Retry and Open Settings', async () => {
    const dead = `unix://${path.join(os.tmpdir(), `pyml-house-no-docker-${process.pid}.sock`)}`;
    const failure = await connectEngine({ setting: dead, env: {}, pingTimeoutMs: 1000 }).then(
      () => assert.fail('connected to a socket that does not exist'),
      (err: unknown) => err,
    );
    assert.ok(failure instanceof DockerUnavailableError);
    const asked = explainError(failure, { retry: true });
    assert.match(asked.message, /^Docker is not running: no Docker engine answers at unix:\/\//);
    assert.deepStrictEqual(labels(asked.actions), ['Retry', 'Open Settings']);
    assert.deepStrictEqual(asked.actions[0], { kind: 'retry' });
    assert.deepStrictEqual(asked.actions[1], { kind: 'openSettings', setting: 'pyml.docker.host' });
    // Where the caller cannot retry, Retry reconnects through the command.
    const elsewhere = explainError(failure, { summary: 'Stop Model failed' });
    assert.deepStrictEqual(elsewhere.actions[0], { kind: 'command', command: 'pyml.retryDocker', label: 'Retry' });
    assert.strictEqual(elsewhere.message, failure.message, 'the Docker message stands on its own');
  });

  it('a failed build with problems on requirements.txt: Show Problems and Show Logs, the build output in the log', () => {
    const failure = realBuildFailure();
    assert.ok(failure.diagnostics.length > 0, 'the real pip log gives a diagnostic');
    const explained = explainError(failure, { summary: 'Build Image failed' });
    assert.match(explained.message, /^the build failed: pip could not install the model's requirements\.txt: .*nonexistent-pkg==1\.0/);
    assert.deepStrictEqual(labels(explained.actions), ['Show Problems', 'Show Logs']);
    assert.match(explained.log, /^Build failed: pip could not install/);
    assert.ok(explained.log.includes(failure.logTail.at(-1) ?? '<none>'), 'the log gets the end of the build output');
  });

  it('a failed build during a dev-mode rebuild and during a batch run offers Show Problems too', () => {
    const failure = realBuildFailure();
    // The contexts containerPrompts.ts and commands/batch.ts pass.
    const rebuild = explainError(failure, { summary: 'the rebuild of churn failed', folder: '/work/churn' });
    const batch = explainError(failure, { summary: 'batch prediction failed', folder: '/work/churn' });
    for (const explained of [rebuild, batch]) {
      assert.deepStrictEqual(labels(explained.actions), ['Show Problems', 'Show Logs']);
      assert.match(explained.message, /^the build failed: /);
    }
  });

  it('a failed build without problems to point at: Show Logs only', () => {
    const failure = new BuildFailedError('the base image could not be used at step 1/3 (FROM nope): pull access denied', 1, 'FROM nope', [], []);
    assert.deepStrictEqual(labels(explainError(failure).actions), ['Show Logs']);
  });

  it('a container that exited while starting, or never became ready: the first line, the rest in the log', () => {
    const exited = new ContainerExitedError('starting', 1, ['Traceback (most recent call last):', 'ModuleNotFoundError: No module named sklearn']);
    const explained = explainError(exited, { summary: 'Run Model failed' });
    assert.strictEqual(explained.message, 'The model container exited with code 1 while starting. Its log is in the PyML output.');
    assert.deepStrictEqual(labels(explained.actions), ['Show Logs']);
    assert.match(explained.log, /ModuleNotFoundError: No module named sklearn$/);
    const slow = explainError(new ReadinessTimeoutError(60_000, 'ServerReady: UNAVAILABLE', []));
    assert.strictEqual(slow.message, 'The model was not ready after 60 s (ServerReady: UNAVAILABLE). Its log is in the PyML output.');
  });

  it('a server that cannot be reached (a real gRPC UNAVAILABLE): names the address, offers Run Model for a folder', async () => {
    const address = `unix://${path.join(os.tmpdir(), `pyml-house-no-server-${process.pid}.sock`)}`;
    const client = new V2Client(address, { protoPath: PROTO, maxMessageBytes: 1 << 20 });
    let failure: unknown;
    try {
      await client.serverLive({ deadlineMs: 3000 });
    } catch (err) {
      failure = err;
    } finally {
      client.close();
    }
    assert.ok(failure instanceof V2Error && failure.isConnectionFailure, `expected UNAVAILABLE, got ${String(failure)}`);
    const panel = explainError(failure, { summary: address, address });
    assert.match(panel.message, new RegExp(`^Cannot reach ${address.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .+\\. Is the model running\\?$`));
    const withFolder = explainError(failure, { folder: '/work/churn' });
    assert.deepStrictEqual(withFolder.actions[0], { kind: 'runModel', folder: '/work/churn' });
    assert.deepStrictEqual(labels(withFolder.actions), ['Run Model', 'Show Logs']);
  });

  it('another gRPC status from a server: the address and the status', () => {
    const failure = new V2Error('ModelMetadata', status.NOT_FOUND, "model 'nope' is not loaded", undefined);
    assert.strictEqual(explainError(failure, { summary: 'localhost:8001', address: 'localhost:8001' }).message, "localhost:8001 answered NOT_FOUND: model 'nope' is not loaded");
  });

  it("a model exception in a batch: its message, a button to the model's line, the traceback in the log", () => {
    assert.ok(MODEL_REPORT);
    const cause = new V2Error('ModelInfer', status.UNKNOWN, 'predict failed', MODEL_REPORT);
    const failure = new BatchFailedError(3, 20, 30, cause);
    const explained = explainError(failure, { summary: 'batch prediction failed', folder: '/work/churn' });
    assert.match(explained.message, /^Batch 3 \(rows 21-30 of the input\) failed: ModelInfer: ValueError: cannot score the label 'boom' \(model\.py:13 in predict\)$/);
    assert.deepStrictEqual(explained.actions[0], { kind: 'openFile', file: path.join('/work/churn', 'model.py'), line: 13, label: 'Open model.py:13' });
    assert.deepStrictEqual(labels(explained.actions), ['Open model.py:13', 'Show Logs']);
    assert.match(explained.log, /Traceback \(most recent call last\):/);
  });

  it('input that does not fit the model: the columns, no row sent, each column in the log', () => {
    const failure = new SchemaMismatchError(
      [
        { column: 'tenure', problem: 'missing' },
        { column: 'plan', problem: 'int64 where the model takes string' },
      ],
      ['plan', 'id'],
    );
    const explained = explainError(failure, { summary: 'batch prediction failed' });
    assert.strictEqual(explained.message, "the input does not match the model ('tenure', 'plan'); no row was sent. See the log for each column.");
    assert.match(explained.log, /'plan': int64 where the model takes string/);
    assert.deepStrictEqual(labels(explained.actions), ['Show Logs']);
  });

  it('a cancelled batch is information, with no button', () => {
    const explained = explainError(new BatchCancelledError(1200));
    assert.strictEqual(explained.severity, 'info');
    assert.deepStrictEqual(explained.actions, []);
  });

  it('an error of no known kind: what failed, its message, Show Logs', () => {
    const explained = explainError(new Error('ENOENT: no such file or directory, open /work/churn/pyml.yaml'), { summary: 'Export Dockerfile failed' });
    assert.strictEqual(explained.message, 'Export Dockerfile failed: ENOENT: no such file or directory, open /work/churn/pyml.yaml');
    assert.deepStrictEqual(labels(explained.actions), ['Show Logs']);
    assert.strictEqual(explainError('a thrown string').message, 'a thrown string');
  });

  it('a UserError is already explained: it keeps its own message and actions', () => {
    const own = new UserError('SQL queries need DuckDB', {
      severity: 'warning',
      actions: [{ kind: 'runInTerminal', label: 'Install DuckDB in a Terminal', terminal: 'PyML: install DuckDB', text: 'npm install' }],
    });
    assert.strictEqual(explainError(own, { summary: 'ignored' }), own);
    assert.deepStrictEqual(labels(own.actions), ['Install DuckDB in a Terminal']);
  });
});
