/**
 * The output of Docker's classic builder, read as it streams: steps (`Step N/M : ...`), cache hits
 * (` ---> Using cache`), the image id, the error; and, when a dependency step fails, diagnostics on
 * the offending line of requirements.txt or packages.txt. Pure: no Docker, no VS Code.
 */
import type { DockerfileStep, StepRole } from './dockerfile';
import { JsonLines } from './jsonLines';
import { findRequirement, normalizeDistName, parseAptPackages, parseRequirements } from './dependencyFiles';

/** One JSON message of the engine's build stream. */
export interface BuildMessage {
  readonly stream?: string;
  readonly status?: string;
  readonly progress?: string;
  readonly error?: string;
  readonly errorDetail?: { readonly message?: string; readonly code?: number };
  readonly aux?: { readonly ID?: string };
}

export type BuildEvent =
  | { readonly type: 'step'; readonly step: number; readonly total: number; readonly instruction: string }
  | { readonly type: 'cached'; readonly step: number }
  | { readonly type: 'line'; readonly text: string }
  | { readonly type: 'error'; readonly message: string };

export interface StepRecord {
  readonly step: number;
  readonly instruction: string;
  cached: boolean;
  /** Output lines of the step (what its RUN printed). */
  readonly lines: string[];
}

/** The build stream's messages, from the engine's newline-separated JSON. */
export class JsonMessageSplitter {
  private readonly lines = new JsonLines();

  push(chunk: Buffer | string): BuildMessage[] {
    return this.lines.push(chunk).map(toMessage);
  }

  end(): BuildMessage[] {
    return this.lines.end().map(toMessage);
  }
}

function toMessage(value: unknown): BuildMessage {
  if (typeof value === 'string') return { stream: value + '\n' };
  return typeof value === 'object' && value !== null ? value : { stream: `${JSON.stringify(value)}\n` };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
const STEP = /^Step (\d+)\/(\d+) : (.*)$/;
const CACHED = /^ ---> Using cache$/;
const BUILT = /^Successfully built ([0-9a-f]{12,64})$/;

/** Accumulates a build's messages; `feed` returns the events each message gives. */
export class BuildLog {
  readonly steps: StepRecord[] = [];
  readonly lines: string[] = [];
  total = 0;
  imageId: string | undefined;
  error: string | undefined;
  private partial = '';

  feed(message: BuildMessage): BuildEvent[] {
    const events: BuildEvent[] = [];
    if (message.aux?.ID) this.imageId = message.aux.ID;
    const text = message.stream ?? (message.status ? `${message.status}${message.progress ? ` ${message.progress}` : ''}\n` : '');
    if (text) {
      this.partial += text;
      const parts = this.partial.split(/\r?\n/);
      this.partial = parts.pop() ?? '';
      for (const line of parts) events.push(...this.line(line));
    }
    const error = message.error ?? message.errorDetail?.message;
    if (error) {
      if (this.partial) events.push(...this.line(this.partial));
      this.partial = '';
      this.error = error.trim();
      this.lines.push(this.error);
      events.push({ type: 'error', message: this.error });
    }
    return events;
  }

  /** Flushes a last line without newline. */
  end(): BuildEvent[] {
    const rest = this.partial;
    this.partial = '';
    return rest ? this.line(rest) : [];
  }

  get current(): StepRecord | undefined {
    return this.steps[this.steps.length - 1];
  }

  /** Steps whose layer came from the cache. */
  get cachedSteps(): number[] {
    return this.steps.filter((s) => s.cached).map((s) => s.step);
  }

  tail(count: number): string[] {
    return this.lines.slice(-count);
  }

  private line(raw: string): BuildEvent[] {
    // The classic builder colours a step's stderr (ESC[91m ... ESC[0m).
    const text = raw.replace(ANSI, '').replace(/\s+$/, '');
    this.lines.push(text);
    const step = STEP.exec(text);
    if (step) {
      const record: StepRecord = { step: Number(step[1]), instruction: step[3] ?? '', cached: false, lines: [] };
      this.total = Number(step[2]);
      this.steps.push(record);
      return [{ type: 'step', step: record.step, total: this.total, instruction: record.instruction }];
    }
    const current = this.current;
    if (CACHED.test(text) && current) {
      current.cached = true;
      return [{ type: 'cached', step: current.step }];
    }
    const built = BUILT.exec(text);
    if (built?.[1] && !this.imageId) this.imageId = built[1];
    if (current && !text.startsWith(' ---> ') && !text.startsWith('Removing intermediate container')) current.lines.push(text);
    return [{ type: 'line', text }];
  }
}

/** What a step of the generated Dockerfile does, in words (the build's progress shows it). */
export function stepPurpose(role: StepRole | undefined): string {
  switch (role) {
    case 'base':
      return 'Starting from the base image';
    case 'environment':
      return 'Setting up the environment';
    case 'user':
      return "Creating the model's user";
    case 'apt':
      return 'Installing Debian packages';
    case 'runtime-requirements-copy':
      return "Copying the PyML runtime's requirements";
    case 'runtime-requirements':
      return "Installing the PyML runtime's requirements";
    case 'model-requirements-copy':
      return 'Copying requirements.txt';
    case 'model-requirements':
      return 'Installing requirements';
    case 'runtime':
      return 'Copying the PyML runtime';
    case 'command':
      return 'Setting how the model starts';
    case 'data':
      return "Copying the model's data";
    case 'model':
      return 'Copying the model code';
    case 'metadata':
      return 'Labelling the image';
    case undefined:
      return 'Building';
  }
}

/** `Installing requirements (step 9 of 16)`: a step as the progress shows it. */
export function stepProgress(role: StepRole | undefined, step: number, total: number): string {
  return `${stepPurpose(role)} (step ${step} of ${total})`;
}

/** One build's own log, as Show Log opens it. */
export interface BuildTranscript {
  readonly folder: string;
  readonly tag: string;
  readonly started: Date;
  readonly lines: string[];
  /** Undefined while it runs. */
  outcome: 'succeeded' | 'failed' | 'cancelled' | undefined;
}

/** The last build of each model folder (Show Log on the build's notifications opens it). */
export class BuildTranscripts {
  private readonly byFolder = new Map<string, BuildTranscript>();

  start(folder: string, tag: string, started = new Date()): BuildTranscript {
    const transcript: BuildTranscript = { folder, tag, started, lines: [], outcome: undefined };
    this.byFolder.set(folder, transcript);
    return transcript;
  }

  get(folder: string): BuildTranscript | undefined {
    return this.byFolder.get(folder);
  }
}

/** The text Show Log opens: what was built, when, how it ended, then every line of the build. */
export function transcriptText(t: BuildTranscript): string {
  const outcome = t.outcome ?? 'still running';
  return [`Build of ${t.tag} from ${t.folder}, started ${t.started.toISOString()}: ${outcome}`, '', ...t.lines, ''].join('\n');
}

/** A problem on a line of a model folder file (zero-based line). */
export interface FileDiagnostic {
  /** File name relative to the model folder: `requirements.txt` or `packages.txt`. */
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export interface FailureExplanation {
  /** One sentence naming the step and what went wrong. */
  readonly message: string;
  readonly diagnostics: FileDiagnostic[];
}

/**
 * Explains a failed build: which step (by its role in the generated Dockerfile) and, for pip and apt
 * steps, diagnostics on the lines of requirements.txt / packages.txt that caused it.
 */
export function explainFailure(
  log: Pick<BuildLog, 'current' | 'error' | 'total'>,
  steps: readonly DockerfileStep[],
  files: { readonly requirements?: string; readonly packages?: string },
): FailureExplanation {
  const failed = log.current;
  const role: StepRole | undefined = failed ? steps[failed.step - 1]?.role : undefined;
  const output = failed?.lines ?? [];
  const where = failed ? `step ${failed.step}/${log.total} (${failed.instruction.slice(0, 120)})` : 'before the first step';
  const error = log.error ?? 'unknown error';
  switch (role) {
    case 'model-requirements': {
      const diagnostics = pipDiagnostics(output, files.requirements ?? '');
      return { message: `pip could not install the model's requirements.txt: ${firstPipError(output) ?? error}${offlineHint(output, 'pip')}`, diagnostics };
    }
    case 'runtime-requirements':
      return {
        message: `pip could not install the PyML runtime's requirements in the base image at ${where}: ${firstPipError(output) ?? error}${offlineHint(output, 'pip')}. Use a base image with Python 3.9+ and pip, or one that already has grpcio, protobuf, numpy, pandas and PyYAML.`,
        diagnostics: [],
      };
    case 'apt': {
      const diagnostics = aptDiagnostics(output, files.packages ?? '');
      return { message: `apt-get could not install packages.txt: ${firstAptError(output) ?? error}${offlineHint(output, 'apt')}`, diagnostics };
    }
    case 'base':
      return { message: `the base image could not be used at ${where}: ${error}. Build or pull it first, or set runtime.base_image / pyml.build.baseImage.`, diagnostics: [] };
    case 'user':
      return { message: `the base image has neither useradd nor adduser (${where}): ${error}`, diagnostics: [] };
    default:
      return { message: `the build failed at ${where}: ${error}`, diagnostics: [] };
  }
}

/** pip or apt-get could not reach its index or mirror: the build ran without network (or DNS). */
const OFFLINE = /NewConnectionError|Temporary failure in name resolution|Temporary failure resolving|Name or service not known|Network is unreachable|No route to host/;

function offlineHint(output: readonly string[], tool: 'pip' | 'apt'): string {
  if (!output.some((l) => OFFLINE.test(l))) return '';
  return tool === 'pip' ? ' (the build has no network access to the package index)' : ' (the build has no network access to the Debian mirror)';
}

const PIP_NOT_FOUND = /(?:No matching distribution found for|Could not find a version that satisfies the requirement)\s+([A-Za-z0-9][A-Za-z0-9._-]*)/;
/** pip names a requirements file line as `(from -r FILE (line N))`, `-r FILE (line N)` (conflicts) or `(from line N of FILE)`. */
const PIP_FILE_LINE = /-r \S+ \(line (\d+)\)|\(from line (\d+) of \S+\)/g;
const PIP_INVALID = /^ERROR: Invalid requirement: '([^']*)'/;
const PIP_CONFLICT = /^ERROR: Cannot install (.+?) because these package versions have conflicting dependencies/;
/** A wheel that would not build: pip 23 (`Failed building wheel for x`, `Failed to build x y`, `Could not build wheels for x, …`) and pip 24. */
const PIP_WHEEL_FAILED = [
  /^ERROR: Failed building wheel for (\S+)/,
  /^Failed to build (.+)$/,
  /^ERROR: Could not build wheels for (.+?), which is required/,
  /^ERROR: Failed to build installable wheels for some pyproject\.toml based projects \((.+)\)/,
];
/** The package pip is working on: `Collecting x`, `Processing /path/x-1.0.tar.gz`, `Building wheel for x`, `Running setup.py install for x`. */
const PIP_WORKING_ON = /^(?:Collecting|Processing|Building wheel for|Running setup\.py install for) (\S+)/;

/**
 * pip's own lines, trimmed: without the output of the subprocesses it ran (build backends, the
 * nested pip that installs build dependencies), which pip frames between `╰─> [N lines of output]`
 * and `[end of output]`. An error in there is about a build dependency, not a requirement.
 */
function pipOwnLines(output: readonly string[]): string[] {
  const out: string[] = [];
  let framed = false;
  for (const raw of output) {
    const line = raw.trim();
    if (framed) {
      if (line === '[end of output]') framed = false;
      continue;
    }
    if (/^╰─> \[\d+ lines? of output\]$/.test(line)) framed = true;
    else out.push(line);
  }
  return out;
}

/** The distribution a `Processing` path or a name as pip printed it stands for (`/w/fast_math-0.3.tar.gz` → `fast_math`). */
function distOf(word: string): string {
  if (!word.includes('/')) return word;
  const file = word.slice(word.lastIndexOf('/') + 1);
  if (file.endsWith('.whl')) return file.split('-')[0] ?? file;
  const stem = file.replace(/\.(?:tar\.gz|tar\.bz2|tgz|zip)$/, '');
  return stem.includes('-') ? stem.slice(0, stem.lastIndexOf('-')) : stem;
}

/** Diagnostics on requirements.txt lines from pip's output. */
export function pipDiagnostics(output: readonly string[], requirements: string): FileDiagnostic[] {
  const own = pipOwnLines(output);
  const errors = own.filter((l) => l.startsWith('ERROR:'));
  // Without an ERROR line (a build dependency could not be installed), pip's `× …` summary says what failed.
  const summaries = errors.length > 0 ? errors : own.filter((l) => l.startsWith('× '));
  const causes = conflictCauses(own);
  const text =
    summaries.length > 0
      ? [...new Set(summaries.map((l) => l.replace(/^(?:ERROR:|×)\s*/, '') + (PIP_CONFLICT.test(l) && causes ? ` ${causes}` : '')))].join('\n')
      : 'pip install failed';
  const message = `${text}${offlineHint(output, 'pip')}`;
  const lines = new Set<number>();
  const byName = (name: string): void => {
    const found = findRequirement(requirements, name);
    if (found) lines.add(found.line);
  };
  for (const l of errors) {
    for (const fileLine of l.matchAll(PIP_FILE_LINE)) {
      const lineNo = fileLine[1] ?? fileLine[2];
      if (lineNo) lines.add(Number(lineNo) - 1);
    }
    const missing = PIP_NOT_FOUND.exec(l);
    if (missing?.[1]) byName(missing[1]);
    const invalid = PIP_INVALID.exec(l);
    if (invalid?.[1] !== undefined) {
      const text = invalid[1].trim();
      const found = parseRequirements(requirements).find((r) => r.text === text || r.text.startsWith(text));
      if (found) lines.add(found.line);
    }
    const conflict = PIP_CONFLICT.exec(l);
    if (conflict?.[1]) for (const part of conflict[1].split(/,\s*|\s+and\s+/)) byName(part.split(/[=<>!~ ]/)[0] ?? part);
  }
  for (const l of own) {
    for (const pattern of PIP_WHEEL_FAILED) {
      const names = pattern.exec(l)?.[1];
      if (names) for (const name of names.split(/[\s,]+/)) if (name) byName(name);
    }
  }
  if (lines.size === 0) {
    // A build backend or build dependency failed ("error: subprocess-exited-with-error"): the last package pip was working on.
    const current = [...own].reverse().map((l) => PIP_WORKING_ON.exec(l)?.[1]).find((n) => n !== undefined);
    if (current) byName(distOf(current));
  }
  if (lines.size === 0) lines.add(firstRequirementLine(requirements));
  return [...lines].sort((a, b) => a - b).map((line) => ({ file: 'requirements.txt', line, message: diagnosticText(message, requirements, line) }));
}

/** What pip says after `The conflict is caused by:` (`The user requested b==2.0; a 1.0 depends on b==1.0`), if it does. */
function conflictCauses(own: readonly string[]): string | undefined {
  const start = own.indexOf('The conflict is caused by:');
  if (start < 0) return undefined;
  const end = own.indexOf('', start);
  const causes = own.slice(start + 1, end < 0 ? undefined : end);
  return causes.length > 0 ? `The conflict is caused by: ${causes.join('; ')}` : undefined;
}

function diagnosticText(message: string, requirements: string, line: number): string {
  const name = parseRequirements(requirements).find((r) => r.line === line)?.name;
  const all = message.split('\n');
  // Of several errors, the ones about this requirement.
  const own = name ? all.filter((m) => normalizeDistName(m).includes(name)) : [];
  return `pip: ${(own.length > 0 ? own : all).join('\n')}`;
}

function firstRequirementLine(requirements: string): number {
  return parseRequirements(requirements)[0]?.line ?? 0;
}

function firstPipError(output: readonly string[]): string | undefined {
  const own = pipOwnLines(output);
  return (own.find((l) => l.startsWith('ERROR:')) ?? own.find((l) => l.startsWith('× ')))?.replace(/^(?:ERROR:|×)\s*/, '');
}

const APT_MISSING = [
  /^E: Unable to locate package (\S+)/,
  /^E: Package '?([^' ]+)'? has no installation candidate/,
  /^E: Version '[^']*' for '([^']+)' was not found/,
  /^E: Couldn't find any package by (?:glob|regex) '([^']+)'/,
];

/** Diagnostics on packages.txt lines from apt-get's output. */
export function aptDiagnostics(output: readonly string[], packages: string): FileDiagnostic[] {
  const entries = parseAptPackages(packages);
  const out: FileDiagnostic[] = [];
  const seen = new Set<number>();
  for (const l of output) {
    for (const pattern of APT_MISSING) {
      const name = pattern.exec(l)?.[1];
      if (!name) continue;
      const entry = entries.find((e) => e.name === name || e.spec === name);
      const line = entry?.line ?? entries[0]?.line ?? 0;
      if (!seen.has(line)) {
        seen.add(line);
        out.push({ file: 'packages.txt', line, message: `apt-get: ${l.replace(/^E:\s*/, '')}` });
      }
    }
  }
  if (out.length === 0) {
    const errors = output.filter((l) => /^E: /.test(l));
    out.push({
      file: 'packages.txt',
      line: entries[0]?.line ?? 0,
      message: `apt-get: ${errors.length > 0 ? errors.map((l) => l.replace(/^E:\s*/, '')).join('\n') : 'apt-get install failed'}${offlineHint(output, 'apt')}`,
    });
  }
  return out.sort((a, b) => a.line - b.line);
}

function firstAptError(output: readonly string[]): string | undefined {
  return output.find((l) => /^E: /.test(l))?.replace(/^E:\s*/, '');
}
