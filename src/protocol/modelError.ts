/**
 * The runtime's structured error report, carried in the `pyml-error-bin` trailing metadata of a
 * failed call (see runtime/README.md): UTF-8 JSON
 *   {"type", "message", "phase", "frames": [{"file", "line", "function", "code", "in_model"}],
 *    "traceback", "truncated"}
 * Frames run outermost first; `file` is relative to the model folder when the file is inside it.
 */

export interface ModelErrorFrame {
  /** Relative to the model folder (POSIX separators) when `inModel`, else absolute in the container. */
  readonly file: string;
  /** One-based line number; 0 when unknown. */
  readonly line: number;
  readonly function: string;
  readonly code: string;
  readonly inModel: boolean;
}

export interface ModelErrorReport {
  /** The exception's type, e.g. `ValueError` or `yaml.YAMLError`. */
  readonly type: string;
  readonly message: string;
  /** When it happened: `load`, `reload`, `predict` (others may be added by the runtime). */
  readonly phase: string;
  readonly frames: readonly ModelErrorFrame[];
  /** Python's own traceback text (may be shortened in the middle; see `truncated`). */
  readonly traceback: string;
  readonly truncated: boolean;
}

/** Parses the trailer's bytes; undefined when they are not a report (never throws). */
export function parseModelErrorReport(bytes: Uint8Array | string): ModelErrorReport | undefined {
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isRecord(value) || typeof value['type'] !== 'string') return undefined;
  const frames = Array.isArray(value['frames']) ? value['frames'].filter(isRecord).map(toFrame) : [];
  return {
    type: value['type'],
    message: str(value['message']),
    phase: str(value['phase']),
    frames,
    traceback: str(value['traceback']),
    truncated: value['truncated'] === true,
  };
}

/** The innermost frame in the model's own files: where the user should look. */
export function innermostModelFrame(report: ModelErrorReport): ModelErrorFrame | undefined {
  for (let i = report.frames.length - 1; i >= 0; i--) {
    const frame = report.frames[i];
    if (frame?.inModel && frame.line > 0) return frame;
  }
  return undefined;
}

/** One line: `ValueError: bad input (model.py:12 in predict)`. */
export function summarizeModelError(report: ModelErrorReport): string {
  const head = report.message ? `${report.type}: ${report.message}` : report.type;
  const frame = innermostModelFrame(report);
  return frame ? `${head} (${frame.file}:${frame.line} in ${frame.function})` : head;
}

function toFrame(raw: Record<string, unknown>): ModelErrorFrame {
  const line = typeof raw['line'] === 'number' && Number.isFinite(raw['line']) ? Math.max(0, Math.trunc(raw['line'])) : 0;
  return {
    file: str(raw['file']),
    line,
    function: str(raw['function']),
    code: str(raw['code']),
    inModel: raw['in_model'] === true,
  };
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
