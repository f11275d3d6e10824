/**
 * The extension's side of model containers: one engine connection, the models it runs, build and
 * reload problems, and change notifications for the tree and the status bar. Commands, views and
 * tasks call it; the work itself is done by the plain modules next to it. It asks the user nothing:
 * what needs a decision (Docker is down, a dependency file changed in dev mode, container settings
 * changed) is thrown or fired as an event, and src/commands/ asks.
 */
import type Docker from 'dockerode';
import * as vscode from 'vscode';
import { effectsOf } from '../config';
import { errorText } from '../userError';
import { loadManifest } from '../model/manifest';
import { parseModelErrorReport } from '../protocol/modelError';
import { ERROR_JSON_PREFIX } from '../protocol/wire';
import { buildImage, prepareBuild, removeOldImages, type BuildResult, type BuildSettings, type PreparedBuild, type PruneResult } from './imageBuild';
import { BuildTranscripts, stepProgress, type BuildEvent, type BuildTranscript } from './buildLog';
import { DevMode, type ReloadOutcome } from './devMode';
import type { ContainerHost } from './host';
import { connectEngine, engineAnswers, type Engine } from './engine';
import { BuildCancelledError, BuildFailedError, ContainerExitedError, DockerUnavailableError } from './containerErrors';
import { EngineEvents, type EngineEvent } from './events';
import { LABEL } from './labels';
import { followLogs } from './logs';
import type { ModelContainer } from './modelContainer';
import { Problems } from './problems';
import { errorLocation } from './reload';
import { attachRunning, containerInfoOf, listModelContainers, removeModelContainer, startModel, type RunSettings, type StartRequest } from './runContainer';
import type { ModelStatus, ProgressSink, RunningModel } from './runningModel';
import type { RunMode } from './runSpec';

export type { ModelStatus, ProgressSink, RunningModel } from './runningModel';

export interface ImageEntry {
  readonly id: string;
  readonly tags: readonly string[];
  readonly size: number;
  readonly created: Date;
}

export interface ContainerEntry {
  readonly id: string;
  readonly name: string;
  /** `running`, `exited`, `created` ... */
  readonly state: string;
  /** `Up 3 minutes`, `Exited (137) 5 seconds ago`. */
  readonly status: string;
  readonly mode: RunMode;
  readonly address: string | undefined;
}

/** What a caller may add to a run (the debugger: its own image layer, container options and attach step). */
export interface RunExtras {
  /** The image to run instead of the one just built (e.g. one built on top of it). */
  readonly image?: (engine: Engine, built: BuildResult) => Promise<string>;
  readonly customize?: StartRequest['customize'];
  readonly beforeReady?: StartRequest['beforeReady'];
  /** How long the model may take to be ready (a debugger may hold it in `__init__`). */
  readonly readyTimeoutMs?: number;
}

export class ContainerManager implements vscode.Disposable {
  readonly problems = new Problems();
  /** The last build of each folder: its own log (Show Log). */
  private readonly transcripts = new BuildTranscripts();
  private readonly running = new Map<string, RunningModel>();
  private readonly changed = new vscode.EventEmitter<string | undefined>();
  /** Fires with a model folder, or undefined when anything may have changed. */
  readonly onDidChange = this.changed.event;
  private readonly devMode: DevMode;
  private readonly dependencies = new vscode.EventEmitter<{ readonly folder: string; readonly file: string }>();
  /** A dependency file (requirements.txt, packages.txt) of a dev-mode model was saved: a rebuild applies it. */
  readonly onDidChangeDependencies = this.dependencies.event;
  private readonly runSettingsChanged = new vscode.EventEmitter<readonly RunningModel[]>();
  /** Container settings changed while these models run with the old ones (a restart applies them). */
  readonly onDidChangeRunSettings = this.runSettingsChanged.event;
  private readonly disposables: { dispose(): unknown }[] = [];
  private connecting: Promise<Engine> | undefined;
  private events: EngineEvents | undefined;
  private unavailable: DockerUnavailableError | undefined;
  private disposed = false;

  constructor(private readonly host: ContainerHost) {
    this.devMode = new DevMode(
      {
        problems: this.problems,
        model: (folder) => this.model(folder),
        setStatus: (folder, status, detail) => {
          this.setStatus(folder, status, detail);
        },
        reloadOnSave: () => this.host.config.reloadOnSave,
        dependenciesChanged: (folder, file) => {
          this.dependencies.fire({ folder, file });
        },
      },
      host.log,
    );
    this.disposables.push(this.problems, this.changed, this.devMode, this.dependencies, this.runSettingsChanged);
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        const effects = effectsOf(e);
        if (effects.includes('reconnectDocker')) this.disconnect();
        else if (effects.includes('restartContainer')) this.restartWanted();
      }),
    );
  }

  /** Why the engine could not be reached the last time, if it could not. */
  get dockerProblem(): DockerUnavailableError | undefined {
    return this.unavailable;
  }

  /** The engine, connecting on first use; throws DockerUnavailableError. */
  engine(): Promise<Engine> {
    this.connecting ??= this.connect().catch((err: unknown) => {
      this.connecting = undefined;
      throw err;
    });
    return this.connecting;
  }

  /**
   * The engine, checked to answer now (reconnecting once when it went away since we connected);
   * throws DockerUnavailableError. Commands ask the user to start Docker (commands/docker.ts).
   */
  async answeringEngine(): Promise<Engine> {
    const engine = await this.engine();
    if (await engineAnswers(engine)) return engine;
    // It went away since we connected (the event stream may not have noticed yet).
    this.disconnect();
    return this.engine();
  }

  /** Connects in the background after activation: finds the models of earlier sessions. */
  async startInBackground(): Promise<void> {
    try {
      await this.engine();
    } catch (err) {
      // Quietly: the tree shows it, and commands explain it when the user asks for something.
      this.host.log.info(`Docker: ${errorText(err)}`);
    }
  }

  // ---- build ---------------------------------------------------------------------------------

  buildSettings(): BuildSettings {
    const config = this.host.config;
    return { runtimeDir: this.host.asAbsolutePath('runtime'), baseImage: config.baseImage, maxMessageMB: config.maxMessageMB };
  }

  prepare(folder: string, forExport = false): Promise<PreparedBuild> {
    return prepareBuild(folder, this.buildSettings(), forExport);
  }

  /**
   * Builds a folder's image; undefined when cancelled. Throws DockerUnavailableError when Docker does
   * not answer; a failed build sets the diagnostics and rethrows.
   */
  async build(folder: string, progress: ProgressSink, token?: vscode.CancellationToken): Promise<BuildResult | undefined> {
    const engine = await this.answeringEngine();
    const prepared = await this.prepare(folder);
    const settings = this.buildSettings();
    const abort = new AbortController();
    const cancel = token?.onCancellationRequested(() => {
      abort.abort();
    });
    const log = this.host.log;
    const transcript = this.transcripts.start(folder, prepared.tag);
    const note = (text: string): void => {
      transcript.lines.push(text);
      log.info(`[build] ${text}`);
      progress.line?.(text);
    };
    log.info(`Building ${prepared.tag} from ${folder}`);
    progress.report(`building ${prepared.tag}`);
    let lastStep = 0;
    const onEvent = (e: BuildEvent): void => {
      if (e.type === 'line' && e.text) note(e.text);
      if (e.type === 'step') {
        note(`Step ${e.step}/${e.total} : ${e.instruction}`);
        progress.report(stepProgress(prepared.dockerfile.steps[e.step - 1]?.role, e.step, e.total), (Math.max(0, e.step - lastStep) / e.total) * 100);
        lastStep = e.step;
      }
      if (e.type === 'error') {
        transcript.lines.push(e.message);
        log.error(`[build] ${e.message}`);
        progress.line?.(e.message);
      }
    };
    try {
      const result = await buildImage(engine, prepared, settings, { signal: abort.signal, onEvent });
      this.problems.clear('build', folder);
      const summary = `Built ${result.tag} (${result.imageId.slice(7, 19)}): ${result.cachedSteps.length} of ${result.steps.length} steps from the cache`;
      transcript.lines.push(summary);
      transcript.outcome = 'succeeded';
      log.info(summary);
      this.changed.fire(folder);
      return result;
    } catch (err) {
      if (err instanceof BuildCancelledError) {
        transcript.outcome = 'cancelled';
        log.info(`The build of ${prepared.tag} was cancelled`);
        return undefined;
      }
      transcript.outcome = 'failed';
      transcript.lines.push(`The build failed: ${errorText(err)}`);
      if (err instanceof BuildFailedError) this.problems.setBuild(folder, err.diagnostics);
      throw err;
    } finally {
      cancel?.dispose();
    }
  }

  /** The last build of a folder in this window, with its own log (Show Log). */
  buildTranscript(folder: string): BuildTranscript | undefined {
    return this.transcripts.get(folder);
  }

  // ---- run -----------------------------------------------------------------------------------

  runSettings(): RunSettings {
    const config = this.host.config;
    return {
      network: config.runNetwork,
      memory: config.runMemory,
      cpus: config.runCpus,
      workers: config.runWorkers,
      maxMessageMB: config.maxMessageMB,
      protoPath: this.host.asAbsolutePath('runtime/pyml/proto/grpc_predict_v2.proto'),
      ...(config.sharedMemoryEnabled ? { sharedMemory: { thresholdBytes: Math.round(config.sharedMemoryThresholdMB * 2 ** 20) } } : {}),
    };
  }

  /** Builds (from the cache when nothing changed) and starts a model; replaces its running container. */
  async run(folder: string, mode: RunMode, progress: ProgressSink, token?: vscode.CancellationToken, extras?: RunExtras): Promise<RunningModel | undefined> {
    const built = await this.build(folder, progress, token);
    if (!built || token?.isCancellationRequested) return undefined;
    const engine = await this.engine();
    const image = extras?.image ? await extras.image(engine, built) : built.tag;
    const manifest = await loadManifest(folder);
    await this.forget(folder, true);
    const abort = new AbortController();
    const cancel = token?.onCancellationRequested(() => {
      abort.abort();
    });
    progress.report(`starting ${manifest.name}${mode === 'dev' ? ' in dev mode' : ''}`);
    this.problems.clear('start', folder);
    this.problems.clear('reload', folder);
    try {
      const settings = this.runSettings();
      const container = await startModel(engine, {
        folder,
        manifest,
        image,
        mode,
        // A model that declares a larger message size gets it.
        settings: {
          ...settings,
          maxMessageMB: Math.max(settings.maxMessageMB, manifest.runtime.maxMessageMB ?? 0),
          ...(extras?.readyTimeoutMs !== undefined ? { readyTimeoutMs: extras.readyTimeoutMs } : {}),
        },
        signal: abort.signal,
        onProgress: (message) => {
          progress.report(message);
        },
        ...(extras?.customize ? { customize: extras.customize } : {}),
        ...(extras?.beforeReady ? { beforeReady: extras.beforeReady } : {}),
      });
      const model = this.track(folder, container, 'ready');
      this.host.log.info(`${manifest.name} is ready at ${container.info.address}${mode === 'dev' ? ' (dev mode: saving a file reloads it)' : ''}`);
      return model;
    } catch (err) {
      if (err instanceof ContainerExitedError) this.startProblem(folder, err);
      throw err;
    } finally {
      cancel?.dispose();
      this.changed.fire(folder);
    }
  }

  /** Stops and removes a folder's container (also one this window did not start). */
  async stop(folder: string): Promise<void> {
    const known = this.running.get(folder);
    await this.forget(folder, true);
    if (!known) {
      const engine = await this.answeringEngine();
      const manifest = await loadManifest(folder);
      await removeModelContainer(engine, manifest, folder);
    }
    this.host.log.info(`Stopped the model container of ${folder}`);
    this.changed.fire(folder);
  }

  /** Restarts a folder's model in the mode it ran in (rebuilding when something changed). */
  async restart(folder: string, progress: ProgressSink, token?: vscode.CancellationToken): Promise<RunningModel | undefined> {
    const mode = this.running.get(folder)?.container.info.mode ?? 'run';
    return this.run(folder, mode, progress, token);
  }

  /** Reloads a dev-mode model now (what saving a file does). */
  reload(folder: string): Promise<ReloadOutcome> {
    return this.devMode.reload(folder);
  }

  /** The model this window tracks for a folder. */
  model(folder: string): RunningModel | undefined {
    return this.running.get(folder);
  }

  models(): RunningModel[] {
    return [...this.running.values()];
  }

  setStatus(folder: string, status: ModelStatus, detail?: string): void {
    const model = this.running.get(folder);
    if (!model) return;
    model.status = status;
    if (detail === undefined) delete model.detail;
    else model.detail = detail;
    this.changed.fire(folder);
  }

  // ---- views ---------------------------------------------------------------------------------

  async imagesOf(folder: string): Promise<ImageEntry[]> {
    const engine = await this.engine();
    const images = await engine.docker.listImages({ filters: { label: [`${LABEL.folder}=${folder}`] } });
    return images
      .map((i) => ({ id: i.Id, tags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'), size: i.Size, created: new Date(i.Created * 1000) }))
      .sort((a, b) => b.created.getTime() - a.created.getTime());
  }

  /** Removes a folder's older images that no container uses (PyML: Remove Old Images). */
  async removeOldImages(folder: string): Promise<PruneResult> {
    const engine = await this.answeringEngine();
    try {
      return await removeOldImages(engine, folder);
    } finally {
      this.changed.fire(folder);
    }
  }

  async containersOf(folder: string): Promise<ContainerEntry[]> {
    const engine = await this.engine();
    const containers = await engine.docker.listContainers({ all: true, filters: { label: [`${LABEL.folder}=${folder}`] } });
    return containers.map((c) => {
      const info = containerInfoOf(c);
      return {
        id: c.Id,
        name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
        state: c.State,
        status: c.Status,
        mode: info?.mode ?? 'run',
        address: info?.address,
      };
    });
  }

  /** The running model containers, newest first: what the panel and the Test Explorer can send to. */
  async runningContainers(): Promise<Docker.ContainerInfo[]> {
    const engine = await this.engine();
    return (await listModelContainers(engine)).filter((c) => c.State === 'running').sort((a, b) => b.Created - a.Created);
  }

  /** Model folders that have a container, running or not (for the tree after a reload). */
  async foldersWithContainers(): Promise<Map<string, Docker.ContainerInfo>> {
    const engine = await this.engine();
    const out = new Map<string, Docker.ContainerInfo>();
    for (const c of await listModelContainers(engine)) {
      const folder = c.Labels[LABEL.folder];
      if (folder && !out.has(folder)) out.set(folder, c);
    }
    return out;
  }

  dispose(): void {
    this.disposed = true;
    this.events?.dispose();
    for (const model of this.running.values()) {
      model.logs.abort();
      model.container.close(); // containers keep running: the next window finds them
    }
    this.running.clear();
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
  }

  // ---- internals -----------------------------------------------------------------------------

  private async connect(): Promise<Engine> {
    let engine: Engine;
    try {
      engine = await connectEngine({ setting: this.host.config.dockerHost });
    } catch (err) {
      if (err instanceof DockerUnavailableError) {
        const news = this.unavailable?.message !== err.message;
        this.unavailable = err;
        if (news) this.changed.fire(undefined);
      }
      throw err;
    }
    this.unavailable = undefined;
    this.host.log.info(`Docker ${engine.serverVersion} (API ${engine.apiVersion}) at ${engine.endpoint.url} (${engine.endpoint.origin})`);
    this.events = await EngineEvents.subscribe(
      engine,
      (e) => {
        this.onEngineEvent(e);
      },
      (error) => {
        this.onEngineLost(engine, error);
      },
    );
    await this.adoptRunning(engine);
    this.changed.fire(undefined);
    return engine;
  }

  /** The running models of an earlier window: tracked again, logs followed from now on. */
  private async adoptRunning(engine: Engine): Promise<void> {
    const settings = this.runSettings();
    const found = await attachRunning(engine, {
      protoPath: settings.protoPath,
      maxMessageBytes: settings.maxMessageMB * 1024 * 1024,
      ...(settings.sharedMemory ? { sharedMemoryThresholdBytes: settings.sharedMemory.thresholdBytes } : {}),
    });
    for (const container of found) {
      const known = this.running.get(container.info.folder);
      if (known && known.status !== 'exited' && known.container.info.id === container.info.id) {
        container.close();
        continue;
      }
      // After the engine came back (or another window started it), the container is a new one.
      if (known) await this.forget(container.info.folder, false);
      this.host.log.info(`Found ${container.info.modelName} running at ${container.info.address} (${container.info.mode})`);
      this.track(container.info.folder, container, 'ready', Math.floor(Date.now() / 1000));
    }
  }

  private track(folder: string, container: ModelContainer, status: ModelStatus, logsSince?: number): RunningModel {
    const model: RunningModel = { folder, container, status, logs: new AbortController() };
    this.running.set(folder, model);
    const name = container.info.modelName;
    void followLogs(
      container.container,
      (line) => {
        this.host.log.info(`[${name}] ${line.text}`);
      },
      { signal: model.logs.signal, ...(logsSince !== undefined ? { since: logsSince } : {}) },
    ).catch((err: unknown) => {
      this.host.log.warn(`[${name}] log stream ended: ${errorText(err)}`);
    });
    void container.exited.then((exit) => {
      if (this.running.get(folder) !== model || this.disposed) return;
      const code = exit.exitCode === undefined ? '' : ` with code ${exit.exitCode}`;
      this.host.log.warn(`The model container of ${name} exited${code}${exit.oomKilled ? ' (out of memory)' : ''}`);
      this.setStatus(folder, 'exited', `exited${code}`);
    });
    if (container.info.mode === 'dev') this.devMode.watch(folder);
    return model;
  }

  /** Stops tracking a folder's model; with `remove`, stops and removes its container. */
  private async forget(folder: string, remove: boolean): Promise<void> {
    const model = this.running.get(folder);
    if (!model) return;
    this.running.delete(folder);
    this.devMode.unwatch(folder);
    model.logs.abort();
    if (remove) await model.container.stop();
    else model.container.close();
  }

  private startProblem(folder: string, err: ContainerExitedError): void {
    // The runtime prints its structured report as the last `PYML_ERROR_JSON {...}` line.
    const line = [...err.logTail].reverse().find((l) => l.startsWith(ERROR_JSON_PREFIX));
    const report = line ? parseModelErrorReport(line.slice(ERROR_JSON_PREFIX.length)) : undefined;
    const location = report ? errorLocation(report, folder) : undefined;
    if (location) this.problems.setModelError('start', folder, location);
  }

  private onEngineEvent(e: EngineEvent): void {
    const folder = e.type === 'container' ? e.attributes[LABEL.folder] : undefined;
    this.changed.fire(folder);
  }

  private onEngineLost(engine: Engine, error: Error | undefined): void {
    if (this.disposed) return;
    this.host.log.warn(`Lost the connection to Docker at ${engine.endpoint.url}${error ? `: ${error.message}` : ''}`);
    this.connecting = undefined;
    this.events = undefined;
    this.unavailable = new DockerUnavailableError(engine.endpoint.url, engine.endpoint.origin, error?.message ?? 'the engine closed the event stream');
    for (const model of this.running.values()) model.status = 'exited';
    this.changed.fire(undefined);
  }

  /** Container settings changed: running models keep the old ones until they restart. */
  private restartWanted(): void {
    const running = this.models().filter((m) => m.status !== 'exited');
    if (running.length > 0) this.runSettingsChanged.fire(running);
  }

  private disconnect(): void {
    this.events?.dispose();
    this.events = undefined;
    this.connecting = undefined;
    this.changed.fire(undefined);
  }
}

