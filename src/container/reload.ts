/**
 * Dev-mode reloads: overlapping requests merge into at most one more reload, and a failed reload's
 * Python error becomes a location in the model folder. Pure: no Docker, no VS Code.
 */
import * as path from 'path';
import { innermostModelFrame, type ModelErrorReport } from '../protocol/modelError';

/**
 * Runs a task on request, never two at once. A request while one runs schedules exactly one more
 * run after it (however many requests came), and every waiting caller gets the outcome of the
 * first run that started after its request: that run saw its change.
 */
export class MergingRunner<T> {
  private running: Promise<T> | undefined;
  private queued: Promise<T> | undefined;

  constructor(private readonly task: () => Promise<T>) {}

  get busy(): boolean {
    return this.running !== undefined;
  }

  request(): Promise<T> {
    if (!this.running) return this.start();
    this.queued ??= this.running.then(
      () => this.startQueued(),
      () => this.startQueued(),
    );
    return this.queued;
  }

  private startQueued(): Promise<T> {
    this.queued = undefined;
    return this.start();
  }

  private start(): Promise<T> {
    const run = this.task().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }
}

/** Where a model error points: a file of the model folder (absolute host path) and a zero-based line. */
export interface ErrorLocation {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/** The location of the innermost frame in the model's own files; undefined when none is in the model. */
export function errorLocation(report: ModelErrorReport, folder: string): ErrorLocation | undefined {
  const message = report.message ? `${report.type}: ${report.message}` : report.type;
  // A bad manifest has no frames: the problem is in pyml.yaml (the language server marks the key).
  if (report.type === 'ManifestError') return { file: path.join(folder, 'pyml.yaml'), line: 0, message };
  const frame = innermostModelFrame(report);
  if (!frame) return undefined;
  const relative = frame.file.split('/').filter((s) => s && s !== '..');
  return { file: path.join(folder, ...relative), line: Math.max(0, frame.line - 1), message };
}

/** Which saves in dev mode reload the model and which need a new image. */
export function changeKind(folder: string, file: string): 'reload' | 'rebuild' | 'ignore' {
  const rel = path.relative(folder, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return 'ignore';
  const parts = rel.split(path.sep);
  if (parts.some((p) => p === '__pycache__' || p === '.git' || p === '.venv')) return 'ignore';
  if (rel === 'requirements.txt' || rel === 'packages.txt') return 'rebuild';
  return 'reload';
}
