/**
 * What the user chose for a model's last batch run, remembered per model folder (the workspace's
 * state), so the next run asks nothing ("Run Batch Prediction Again") or starts from those choices.
 * Stored values are checked when read back: an older or damaged entry is dropped, never trusted.
 * Plain TypeScript over a Memento-shaped store, so the unit tests run it without the editor.
 */

/** The rows to predict: a file, or a SQL query (relative paths starting at `cwd`). */
export type BatchInput = { readonly file: string } | { readonly sql: string; readonly cwd?: string };

/** A whole run, as the prompts (or a caller) decide it. */
export interface BatchRequest {
  readonly folder: string;
  readonly input: BatchInput;
  readonly output: string;
  readonly keys?: readonly string[];
  readonly rowsPerBatch?: number;
}

/** The part of vscode.Memento this needs. */
export interface ChoiceStore {
  get(key: string): unknown;
  update(key: string, value: unknown): Thenable<void>;
}

export const CHOICES_KEY = 'pyml.batch.choices';
/** At most this many model folders are remembered (the oldest go first). */
const MAX_FOLDERS = 30;

interface Stored {
  readonly request: BatchRequest;
  /** When it ran (ms since the epoch): the newest is what "again" means without a folder. */
  readonly at: number;
}

export class BatchMemory {
  constructor(
    private readonly store: ChoiceStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** The last run of `folder`, or of any model when no folder is given. */
  last(folder?: string): BatchRequest | undefined {
    const all = this.all();
    if (folder !== undefined) return all.find((s) => s.request.folder === folder)?.request;
    return all[0]?.request;
  }

  /** Remembers a run that was started (whatever its outcome: the choices were the user's). */
  async remember(request: BatchRequest): Promise<void> {
    const rest = this.all().filter((s) => s.request.folder !== request.folder);
    const next: Stored[] = [{ request: plain(request), at: this.now() }, ...rest].slice(0, MAX_FOLDERS);
    await this.store.update(CHOICES_KEY, next);
  }

  /** Every remembered run, newest first, each checked. */
  private all(): Stored[] {
    const raw = this.store.get(CHOICES_KEY);
    if (!Array.isArray(raw)) return [];
    const out: Stored[] = [];
    for (const entry of raw as unknown[]) {
      const stored = parseStored(entry);
      if (stored) out.push(stored);
    }
    return out.sort((a, b) => b.at - a.at);
  }
}

/** A copy with only the known fields (what goes into the store is JSON). */
function plain(r: BatchRequest): BatchRequest {
  const input: BatchInput = 'file' in r.input ? { file: r.input.file } : { sql: r.input.sql, ...(r.input.cwd !== undefined ? { cwd: r.input.cwd } : {}) };
  return {
    folder: r.folder,
    input,
    output: r.output,
    ...(r.keys ? { keys: [...r.keys] } : {}),
    ...(r.rowsPerBatch !== undefined ? { rowsPerBatch: r.rowsPerBatch } : {}),
  };
}

function parseStored(v: unknown): Stored | undefined {
  if (!isRecord(v) || typeof v['at'] !== 'number') return undefined;
  const request = parseRequest(v['request']);
  return request ? { request, at: v['at'] } : undefined;
}

/** A BatchRequest from anything (a stored entry, a command argument), or undefined when it is not one. */
export function parseRequest(v: unknown): BatchRequest | undefined {
  if (!isRecord(v)) return undefined;
  const { folder, output, keys, rowsPerBatch } = v;
  if (typeof folder !== 'string' || !folder || typeof output !== 'string' || !output) return undefined;
  const input = parseInput(v['input']);
  if (!input) return undefined;
  if (keys !== undefined && !(Array.isArray(keys) && keys.every((k) => typeof k === 'string'))) return undefined;
  if (rowsPerBatch !== undefined && !(typeof rowsPerBatch === 'number' && Number.isSafeInteger(rowsPerBatch) && rowsPerBatch >= 1)) return undefined;
  return {
    folder,
    input,
    output,
    ...(keys !== undefined ? { keys } : {}),
    ...(rowsPerBatch !== undefined ? { rowsPerBatch } : {}),
  };
}

function parseInput(v: unknown): BatchInput | undefined {
  if (!isRecord(v)) return undefined;
  if (typeof v['file'] === 'string' && v['file']) return { file: v['file'] };
  if (typeof v['sql'] === 'string' && v['sql'].trim()) {
    const cwd = v['cwd'];
    if (cwd !== undefined && typeof cwd !== 'string') return undefined;
    return { sql: v['sql'], ...(cwd !== undefined ? { cwd } : {}) };
  }
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
