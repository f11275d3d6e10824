/**
 * The one error path of the extension, its pure half: `explainError` turns any failure (Docker not
 * running, a failed build, a container that exited, a gRPC status, a model exception, bad input, a
 * batch that failed ...) into a `UserError`: the short message the user sees, what goes to the log,
 * and the actions the notification offers. `Log.explain` (log.ts) shows it and performs the action
 * the user picks. Commands, dev mode, batch, the panel and the Docker connection all go through it.
 *
 * Free of VS Code, so the unit tests run it over real error shapes. Errors of modules that load in
 * chunks of their own (gRPC, batch) are recognised by their `name`, so this module stays light.
 */
import * as path from 'path';
import { BuildCancelledError, BuildFailedError, ContainerExitedError, DockerUnavailableError, ReadinessTimeoutError } from './container/containerErrors';
import { innermostModelFrame, type ModelErrorReport } from './protocol/modelError';

/** What a notification offers; `log.ts` performs each. */
export type UserAction =
  | { readonly kind: 'showLogs' }
  | { readonly kind: 'showProblems' }
  /** The caller tries again (only offered when it asked for it). */
  | { readonly kind: 'retry' }
  | { readonly kind: 'openSettings'; readonly setting: string }
  /** `line` is one-based. */
  | { readonly kind: 'openFile'; readonly file: string; readonly line: number; readonly label: string }
  | { readonly kind: 'runModel'; readonly folder: string }
  | { readonly kind: 'manageTrust' }
  | { readonly kind: 'command'; readonly command: string; readonly label: string; readonly args?: readonly unknown[] }
  | { readonly kind: 'runInTerminal'; readonly label: string; readonly terminal: string; readonly text: string };

export type UserActionKind = UserAction['kind'];

export type Severity = 'error' | 'warning' | 'info';

export interface UserErrorOptions {
  readonly actions?: readonly UserAction[];
  readonly severity?: Severity;
  /** What the log channel gets (the full text: build output, traceback ...); the message when absent. */
  readonly log?: string;
  readonly cause?: unknown;
}

/** A failure as the user sees it: a short message and the actions that help. */
export class UserError extends Error {
  override readonly name = 'UserError';
  readonly actions: readonly UserAction[];
  readonly severity: Severity;
  readonly log: string;

  constructor(message: string, options: UserErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.actions = options.actions ?? [];
    this.severity = options.severity ?? 'error';
    this.log = options.log ?? message;
  }
}

/** What the caller knows about where the error happened, for a better message and actions. */
export interface ErrorContext {
  /** Says what failed, for errors with no message of their own: `Build Image failed`. */
  readonly summary?: string;
  /** The model folder involved: model frames resolve against it, "Run Model" targets it. */
  readonly folder?: string;
  /** The server address involved (the panel's target). */
  readonly address?: string;
  /** The caller handles `retry` (the Docker connection loop); otherwise Retry reconnects by command. */
  readonly retry?: boolean;
}

export const SHOW_LOGS: UserAction = { kind: 'showLogs' };
export const SHOW_PROBLEMS: UserAction = { kind: 'showProblems' };

/** Opens the last build's own log of a model folder (commands/buildImage.ts). */
export function showBuildLog(folder: string): UserAction {
  return { kind: 'command', command: 'pyml.showBuildLog', label: 'Show Log', args: [folder] };
}

/** The label of an action's button. */
export function actionLabel(action: UserAction): string {
  switch (action.kind) {
    case 'showLogs':
      return 'Show Logs';
    case 'showProblems':
      return 'Show Problems';
    case 'retry':
      return 'Retry';
    case 'openSettings':
      return 'Open Settings';
    case 'openFile':
    case 'command':
    case 'runInTerminal':
      return action.label;
    case 'runModel':
      return 'Run Model';
    case 'manageTrust':
      return 'Manage Workspace Trust';
  }
}

/** Explains any thrown value; a UserError is returned as it is. */
export function explainError(err: unknown, context: ErrorContext = {}): UserError {
  if (err instanceof UserError) return err;
  if (err instanceof DockerUnavailableError) return dockerDown(err, context);
  if (err instanceof BuildFailedError) {
    const message = /^the build failed\b/i.test(err.message) ? err.message : `the build failed: ${err.message}`;
    // The build's own log when the folder is known (Show Log), else the PyML log.
    const log = err.folder === undefined ? SHOW_LOGS : showBuildLog(err.folder);
    return new UserError(message, {
      actions: err.diagnostics.length > 0 ? [SHOW_PROBLEMS, log] : [log],
      log: `Build failed: ${err.message}\n${err.logTail.join('\n')}`,
      cause: err,
    });
  }
  if (err instanceof BuildCancelledError) return new UserError(err.message, { severity: 'info', cause: err });
  if (err instanceof ContainerExitedError || err instanceof ReadinessTimeoutError) {
    return new UserError(`${firstLine(err.message)} Its log is in the PyML output.`, { actions: [SHOW_LOGS], log: err.message, cause: err });
  }
  if (isGrpcFailure(err)) return grpcFailure(err, context);
  if (isNamed(err, 'BatchCancelledError')) return new UserError(err.message, { severity: 'info', cause: err });
  if (isSchemaMismatch(err)) {
    const columns = err.problems.map((p) => `'${p.column}'`).join(', ');
    return new UserError(`the input does not match the model (${columns}); no row was sent. See the log for each column.`, {
      actions: [SHOW_LOGS],
      log: err.message,
      cause: err,
    });
  }
  if (isNamed(err, 'BatchFailedError')) return batchFailure(err, context);
  if (isNamed(err, 'PartitionFailedError')) return batchFailure(err, context); // a Dask partition (src/cluster)
  return generic(err, context);
}

function dockerDown(err: DockerUnavailableError, context: ErrorContext): UserError {
  const retry: UserAction = context.retry ? { kind: 'retry' } : { kind: 'command', command: 'pyml.retryDocker', label: 'Retry' };
  return new UserError(err.message, { actions: [retry, { kind: 'openSettings', setting: 'pyml.docker.host' }], cause: err });
}

/** A gRPC status from a model server: unreachable, a model exception (with its frame), or another status. */
function grpcFailure(err: GrpcFailure, context: ErrorContext): UserError {
  if (err.isConnectionFailure) {
    const where = context.address ? `Cannot reach ${context.address}: ${err.details}.` : `${err.method}: the server cannot be reached (${err.details}).`;
    return new UserError(`${where} Is the model running?`, {
      actions: context.folder ? [{ kind: 'runModel', folder: context.folder }, SHOW_LOGS] : [SHOW_LOGS],
      cause: err,
    });
  }
  if (context.address) return new UserError(`${context.address} answered ${err.codeName}: ${err.details}`, { actions: [SHOW_LOGS], cause: err });
  if (err.report) return modelException(err.message, err.report, context, err);
  return new UserError(withSummary(err.message, context), { actions: [SHOW_LOGS], cause: err });
}

/** An exception in the model's own code: its traceback goes to the log, its frame gets a button. */
function modelException(message: string, report: ModelErrorReport, context: ErrorContext, cause: unknown): UserError {
  const frame = innermostModelFrame(report);
  const actions: UserAction[] = [];
  if (frame && context.folder) {
    actions.push({ kind: 'openFile', file: path.join(context.folder, ...frame.file.split('/').filter((p) => p && p !== '..')), line: frame.line, label: `Open ${frame.file}:${frame.line}` });
  }
  actions.push(SHOW_LOGS);
  const log = report.traceback ? `${message}\n${report.traceback}` : message;
  return new UserError(message, { actions, log, cause });
}

function batchFailure(err: Error, context: ErrorContext): UserError {
  const report = reportOf(err.cause);
  if (report && innermostModelFrame(report)) return modelException(err.message, report, context, err);
  return generic(err, context);
}

function generic(err: unknown, context: ErrorContext): UserError {
  return new UserError(withSummary(errorText(err), context), { actions: [SHOW_LOGS], cause: err });
}

function withSummary(message: string, context: ErrorContext): string {
  return context.summary ? `${context.summary}: ${message}` : message;
}

/** The message of any thrown value. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

function reportOf(cause: unknown): ModelErrorReport | undefined {
  if (typeof cause !== 'object' || cause === null) return undefined;
  const report = (cause as { report?: unknown }).report;
  return typeof report === 'object' && report !== null && typeof (report as { type?: unknown }).type === 'string' ? (report as ModelErrorReport) : undefined;
}

/**
 * The shapes of errors whose classes live in chunks of their own (gRPC: protocol/v2client.ts,
 * batch: batch/batchErrors.ts). They are recognised by name, so this module does not load those chunks.
 */
interface GrpcFailure extends Error {
  readonly method: string;
  readonly details: string;
  readonly codeName: string;
  readonly isConnectionFailure: boolean;
  readonly report: ModelErrorReport | undefined;
}

interface SchemaMismatch extends Error {
  readonly problems: readonly { readonly column: string }[];
}

/** Whether `err` is the error class of that name. */
function isNamed(err: unknown, name: string): err is Error {
  return err instanceof Error && err.name === name;
}

function isGrpcFailure(err: unknown): err is GrpcFailure {
  return isNamed(err, 'V2Error') && typeof (err as Partial<GrpcFailure>).details === 'string';
}

function isSchemaMismatch(err: unknown): err is SchemaMismatch {
  return isNamed(err, 'SchemaMismatchError') && Array.isArray((err as Partial<SchemaMismatch>).problems);
}
