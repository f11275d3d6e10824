/**
 * The Test Explorer's PyML samples: every model folder of the workspace (a pyml.yaml) with the
 * sample files in its `samples/` folder (written by New Model or saved from the panel; one format,
 * src/scaffold/sample.ts). Running a sample sends its `inputs`, typed by the running model's
 * metadata, and compares the answer with its `expected` (floats within the sample's tolerance); a
 * failure shows a diff of the two, an error the model's traceback at its line.
 *
 * The running model is found, in order: a running container of that folder (dev.pyml.* labels),
 * the panel's current connection when it serves that model, a recently used panel address that
 * serves it.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { loadManifest, MANIFEST_FILE } from '../model/manifest';
import { innermostModelFrame } from '../protocol/modelError';
import { V2Client, V2Error } from '../protocol/v2client';
import { runInference } from '../predict/infer';
import { conformPrepared, type PreparedInput } from '../predict/inputs';
import { RECENT_ADDRESSES_KEY } from '../predict/panelIds';
import { schemaFromMetadata } from '../predict/panelSchema';
import { outputsJson, readSample, sampleInput, SAMPLES_DIR } from '../predict/samples';
import { containerTargets } from '../predict/targets';
import { compareOutputs, formatSampleJson, SAMPLE_TOLERANCE, type Sample } from '../scaffold/sample';
import type { ModelSchema } from '../shared/panelMessages';

export const CONTROLLER_ID = 'pyml.samples';
/** Internal command (not in the palette): the outcome of each sample in the last run, for tests. */
export const LAST_RESULTS_COMMAND = 'pyml.testing.lastResults';
/** Internal command: runs the samples (all, or the given files) as the Test Explorer does; returns the outcomes. */
export const RUN_SAMPLES_COMMAND = 'pyml.testing.runSamples';

export type Outcome = 'passed' | 'failed' | 'errored' | 'skipped';

export function registerSampleTests(ctx: Ctx): SampleTests {
  return ctx.own(new SampleTests(ctx));
}

export class SampleTests implements vscode.Disposable {
  readonly controller: vscode.TestController;
  private readonly disposables: { dispose(): unknown }[] = [];
  private readonly lastResults = new Map<string, { outcome: Outcome; message: string }>();
  /** The model name of each folder (its pyml.yaml), for samples that do not name it. */
  private readonly names = new Map<string, string>();
  private refreshing: Promise<void> | undefined;
  private again = false;

  constructor(private readonly ctx: Ctx) {
    this.controller = vscode.tests.createTestController(CONTROLLER_ID, 'PyML Samples');
    this.controller.refreshHandler = () => this.refresh();
    this.controller.createRunProfile('Replay against the running model', vscode.TestRunProfileKind.Run, (request, token) => this.run(request, token), true);
    const watcher = vscode.workspace.createFileSystemWatcher(`**/{${MANIFEST_FILE},${SAMPLES_DIR}/*.json}`);
    const changed = (): void => void this.refresh();
    this.disposables.push(
      {
        dispose: () => {
          this.controller.dispose();
        },
      },
      watcher,
      watcher.onDidCreate(changed),
      watcher.onDidDelete(changed),
      watcher.onDidChange((uri) => {
        if (uri.fsPath.endsWith(MANIFEST_FILE)) changed();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(changed),
      vscode.commands.registerCommand(LAST_RESULTS_COMMAND, () => Object.fromEntries(this.lastResults)),
      vscode.commands.registerCommand(RUN_SAMPLES_COMMAND, (files?: unknown) => this.runFiles(files)),
    );
    void this.refresh();
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  /** Lists the model folders and their samples again (overlapping calls are merged). */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      for (;;) {
        this.again = false;
        await this.discover();
        if (!this.askedAgain()) break;
      }
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Whether a refresh was asked for while one ran (set from other calls meanwhile). */
  private askedAgain(): boolean {
    return this.again;
  }

  private async discover(): Promise<void> {
    const manifests = await vscode.workspace.findFiles(`**/${MANIFEST_FILE}`, '**/{node_modules,.git}/**', 500);
    const items: vscode.TestItem[] = [];
    for (const uri of manifests.sort((a, b) => a.fsPath.localeCompare(b.fsPath))) {
      const folder = path.dirname(uri.fsPath);
      let name = path.basename(folder);
      try {
        name = (await loadManifest(folder)).name;
      } catch {
        // A broken manifest still lists its samples; running them says what is wrong.
      }
      this.names.set(folder, name);
      const samples = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, `${SAMPLES_DIR}/*.json`));
      if (samples.length === 0) continue;
      const model = this.controller.createTestItem(folder, name, vscode.Uri.file(folder));
      model.description = vscode.workspace.asRelativePath(folder);
      for (const s of samples.sort((a, b) => a.fsPath.localeCompare(b.fsPath))) {
        model.children.add(this.controller.createTestItem(s.fsPath, path.basename(s.fsPath, '.json'), s));
      }
      items.push(model);
    }
    this.controller.items.replace(items);
  }

  /** Runs the samples of `files` (absolute paths; all when absent) through the Test Explorer's run handler. */
  async runFiles(files?: unknown): Promise<Record<string, { outcome: Outcome; message: string }>> {
    await this.refresh();
    const wanted = Array.isArray(files) ? new Set(files.filter((f): f is string => typeof f === 'string').map((f) => path.resolve(f))) : undefined;
    const include: vscode.TestItem[] = [];
    this.controller.items.forEach((model) => {
      model.children.forEach((sample) => {
        if (!wanted || wanted.has(path.resolve(sample.uri?.fsPath ?? sample.id))) include.push(sample);
      });
    });
    const source = new vscode.CancellationTokenSource();
    try {
      await this.run(new vscode.TestRunRequest(include), source.token);
    } finally {
      source.dispose();
    }
    return Object.fromEntries(this.lastResults);
  }

  private async run(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> {
    await this.refreshing;
    const run = this.controller.createTestRun(request);
    const queue: { model: vscode.TestItem; sample: vscode.TestItem }[] = [];
    const add = (item: vscode.TestItem): void => {
      if (request.exclude?.includes(item)) return;
      if (item.parent) queue.push({ model: item.parent, sample: item });
      else item.children.forEach(add);
    };
    if (request.include) request.include.forEach(add);
    else this.controller.items.forEach(add);
    for (const { sample } of queue) run.enqueued(sample);
    this.lastResults.clear();
    const clients = new Map<string, Connected | string>();
    try {
      for (const { model, sample } of queue) {
        if (token.isCancellationRequested) {
          run.skipped(sample);
          this.lastResults.set(sample.id, { outcome: 'skipped', message: 'cancelled' });
          continue;
        }
        run.started(sample);
        const started = Date.now();
        const result = await this.runOne(model, sample, clients, token);
        this.lastResults.set(sample.id, { outcome: result.outcome, message: result.messages.map((m) => (typeof m.message === 'string' ? m.message : m.message.value)).join('\n') });
        const duration = Date.now() - started;
        if (result.outcome === 'passed') run.passed(sample, duration);
        else if (result.outcome === 'failed') run.failed(sample, result.messages, duration);
        else if (result.outcome === 'skipped') run.skipped(sample);
        else run.errored(sample, result.messages, duration);
      }
    } finally {
      for (const c of clients.values()) if (typeof c !== 'string') c.client.close();
      run.end();
    }
  }

  private async runOne(
    model: vscode.TestItem,
    sample: vscode.TestItem,
    clients: Map<string, Connected | string>,
    token: vscode.CancellationToken,
  ): Promise<{ outcome: Outcome; messages: vscode.TestMessage[] }> {
    const file = sample.uri?.fsPath ?? sample.id;
    let parsed: Sample;
    try {
      parsed = await readSample(file);
    } catch (err) {
      return { outcome: 'errored', messages: [at(new vscode.TestMessage(err instanceof Error ? err.message : String(err)), file)] };
    }
    const modelName = parsed.model ?? this.names.get(model.id) ?? model.label;
    const key = `${model.id}\n${modelName}`;
    let connected = clients.get(key);
    if (connected === undefined) {
      connected = (await this.clientFor(model.id, modelName)) ?? `Model '${modelName}' is not running. Run it (PyML: Run Model), or connect the test prediction panel to the server that serves it, then run the samples again.`;
      clients.set(key, connected);
    }
    if (typeof connected === 'string') return { outcome: 'errored', messages: [new vscode.TestMessage(connected)] };
    const abort = new AbortController();
    const cancel = token.onCancellationRequested(() => { abort.abort(); });
    try {
      let input: PreparedInput;
      try {
        input = conformPrepared(connected.schema, sampleInput(parsed, connected.schema));
      } catch (err) {
        return { outcome: 'errored', messages: [at(new vscode.TestMessage(`${path.basename(file)} does not fit model '${modelName}': ${err instanceof Error ? err.message : String(err)}`), file)] };
      }
      const outcome = await runInference(connected.client, modelName, input, { deadlineMs: this.ctx.config.predictTimeoutSeconds * 1000, signal: abort.signal });
      if (!parsed.expected) return { outcome: 'passed', messages: [] };
      const actual = outputsJson(outcome.outputs);
      const tolerance = parsed.tolerance ?? SAMPLE_TOLERANCE;
      const problems = compareOutputs(parsed.expected, actual, tolerance);
      if (problems.length === 0) return { outcome: 'passed', messages: [] };
      const shown = Object.fromEntries(Object.keys(parsed.expected).map((k) => [k, actual[k] ?? null]));
      const message = vscode.TestMessage.diff(
        `The answer differs from "expected" (rtol ${tolerance.rtol}, atol ${tolerance.atol}): ${problems.slice(0, 10).join('; ')}`,
        clip(formatSampleJson(parsed.expected)),
        clip(formatSampleJson(shown)),
      );
      return { outcome: 'failed', messages: [at(message, file)] };
    } catch (err) {
      return { outcome: 'errored', messages: [errorMessage(err, model.id)] };
    } finally {
      cancel.dispose();
    }
  }

  /** A client and the schema of the running model of a folder, or undefined when none is found. */
  private async clientFor(folder: string, modelName: string): Promise<Connected | undefined> {
    const candidates: string[] = [];
    const list = await this.ctx.containerManager
      .get()
      .then((manager) => containerTargets(manager))
      .catch(() => ({ targets: [] }));
    for (const t of list.targets) if (t.folder && path.resolve(t.folder) === path.resolve(folder)) candidates.push(t.address);
    const panel = await import('../predict/panel').then((m) => m.PredictPanel.instance).catch(() => undefined);
    const connection = panel?.session.connection;
    if (connection?.schema.model === modelName) candidates.push(connection.address);
    candidates.push(...this.ctx.extension.workspaceState.get<string[]>(RECENT_ADDRESSES_KEY, []));
    const protoPath = this.ctx.asAbsolutePath(path.join('runtime', 'pyml', 'proto', 'grpc_predict_v2.proto'));
    for (const address of [...new Set(candidates)]) {
      const client = new V2Client(address, { protoPath, maxMessageBytes: this.ctx.config.maxMessageMB * 2 ** 20 });
      try {
        const metadata = await client.modelMetadata(modelName, '', { deadlineMs: 3000 });
        if (metadata.name === modelName) return { client, schema: schemaFromMetadata(metadata) };
      } catch {
        // Not this one.
      }
      client.close();
    }
    return undefined;
  }
}

interface Connected {
  readonly client: V2Client;
  readonly schema: ModelSchema;
}

/** Longest text a side of the diff shows. */
const DIFF_CHARS = 200_000;

function clip(text: string): string {
  return text.length > DIFF_CHARS ? `${text.slice(0, DIFF_CHARS)}\n... (cut)\n` : text;
}

function at(message: vscode.TestMessage, file: string): vscode.TestMessage {
  message.location = new vscode.Location(vscode.Uri.file(file), new vscode.Position(0, 0));
  return message;
}

function errorMessage(err: unknown, folder: string): vscode.TestMessage {
  if (!(err instanceof V2Error)) return new vscode.TestMessage(err instanceof Error ? err.message : String(err));
  const message = new vscode.TestMessage(err.report ? `${err.message}\n\n${err.report.traceback}` : `${err.codeName}: ${err.details}`);
  const frame = err.report ? innermostModelFrame(err.report) : undefined;
  if (frame) message.location = new vscode.Location(vscode.Uri.file(path.join(folder, ...frame.file.split('/'))), new vscode.Position(Math.max(0, frame.line - 1), 0));
  return message;
}
