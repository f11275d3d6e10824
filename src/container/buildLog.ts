/**
 * The output of Docker's classic builder, read as it streams: steps (`Step N/M : ...`), cache hits
 * (` ---> Using cache`), the image id, the error; and, when a dependency step fails, diagnostics on
 * the offending line of requirements.txt or packages.txt. Pure: no Docker, no VS Code.
 */
import type { DockerfileStep, StepRole } from './dockerfile';
import { JsonLines } from './jsonLines';
import { findRequirement, normalizeDistName, parseAptPackages, parseRequirements } from './requirements';

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
      return { message: `pip could not install the model's requirements.txt: ${firstPipError(output) ?? error}`, diagnostics };
    }
    case 'runtime-requirements':
      return {
        message: `pip could not install the PyML runtime's requirements in the base image at ${where}: ${firstPipError(output) ?? error}. Use a base image with Python 3.9+ and pip, or one that already has grpcio, protobuf, numpy, pandas and PyYAML.`,
        diagnostics: [],
      };
    case 'apt': {
      const diagnostics = aptDiagnostics(output, files.packages ?? '');
      return { message: `apt-get could not install packages.txt: ${firstAptError(output) ?? error}`, diagnostics };
    }
    case 'base':
      return { message: `the base image could not be used at ${where}: ${error}. Build or pull it first, or set runtime.base_image / pyml.build.baseImage.`, diagnostics: [] };
    case 'user':
      return { message: `the base image has neither useradd nor adduser (${where}): ${error}`, diagnostics: [] };
    default:
      return { message: `the build failed at ${where}: ${error}`, diagnostics: [] };
  }
}

const PIP_NOT_FOUND = /(?:No matching distribution found for|Could not find a version that satisfies the requirement)\s+([A-Za-z0-9][A-Za-z0-9._-]*)/;
const PIP_FROM_LINE = /\(from -r \S+ \(line (\d+)\)\)|\(from line (\d+) of \S+\)/;
const PIP_INVALID = /^ERROR: Invalid requirement: '([^']*)'/;
const PIP_CONFLICT = /^ERROR: Cannot install (.+?) because these package versions have conflicting dependencies/;
const PIP_COLLECTING = /^Collecting ([A-Za-z0-9][A-Za-z0-9._-]*)/;

/** Diagnostics on requirements.txt lines from pip's output. */
export function pipDiagnostics(output: readonly string[], requirements: string): FileDiagnostic[] {
  const errors = output.filter((l) => l.startsWith('ERROR:'));
  const message = errors.length > 0 ? errors.map((l) => l.replace(/^ERROR:\s*/, '')).join('\n') : 'pip install failed';
  const lines = new Set<number>();
  const byName = (name: string): void => {
    const found = findRequirement(requirements, name);
    if (found) lines.add(found.line);
  };
  for (const l of errors) {
    const fromLine = PIP_FROM_LINE.exec(l);
    const lineNo = fromLine?.[1] ?? fromLine?.[2];
    if (lineNo) lines.add(Number(lineNo) - 1);
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
  if (lines.size === 0) {
    // A build backend failed ("Failed building wheel for x", subprocess errors): the last package pip was collecting.
    const collecting = [...output].reverse().map((l) => PIP_COLLECTING.exec(l)?.[1]).find((n) => n !== undefined);
    if (collecting) byName(collecting);
  }
  if (lines.size === 0) lines.add(firstRequirementLine(requirements));
  return [...lines].sort((a, b) => a - b).map((line) => ({ file: 'requirements.txt', line, message: diagnosticText(message, requirements, line) }));
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
  return output.find((l) => l.startsWith('ERROR:'))?.replace(/^ERROR:\s*/, '');
}

const APT_MISSING = [
  /^E: Unable to locate package (\S+)/,
  /^E: Package '([^']+)' has no installation candidate/,
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
      message: `apt-get: ${errors.length > 0 ? errors.map((l) => l.replace(/^E:\s*/, '')).join('\n') : 'apt-get install failed'}`,
    });
  }
  return out;
}

function firstAptError(output: readonly string[]): string | undefined {
  return output.find((l) => /^E: /.test(l))?.replace(/^E:\s*/, '');
}
