/**
 * Messages between the test-prediction panel's webview and the extension, declared once.
 *
 * Each message is a validator; its TypeScript type is derived from it (`Infer<...>`), so the type and
 * the check cannot drift apart. Both sides run the check on every message they receive
 * (`parseToExtension` in the extension, `parseToWebview` in the webview) and drop, and log, what does
 * not pass: a webview is untrusted input, and an extension bug must not crash the UI.
 *
 * Plain TypeScript with no imports: this file is compiled into both the extension and the webview.
 */

// ---------------------------------------------------------------------------------------------
// A small validator kit

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export interface Validator<T> {
  readonly check: (value: unknown, path: string) => Result<T>;
}

export type Infer<V> = V extends Validator<infer T> ? T : never;

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = (path: string, what: string): Result<never> => ({ ok: false, error: `${path || 'message'}: ${what}` });

export function str(opts: { max?: number; min?: number; pattern?: RegExp } = {}): Validator<string> {
  const max = opts.max ?? 10_000;
  return {
    check: (v, p) => {
      if (typeof v !== 'string') return fail(p, `expected a string, got ${kind(v)}`);
      if (v.length > max) return fail(p, `string longer than ${max} characters`);
      if (opts.min !== undefined && v.length < opts.min) return fail(p, `string shorter than ${opts.min} characters`);
      if (opts.pattern && !opts.pattern.test(v)) return fail(p, `'${v.slice(0, 40)}' does not match ${String(opts.pattern)}`);
      return ok(v);
    },
  };
}

export function num(opts: { int?: boolean; min?: number; max?: number } = {}): Validator<number> {
  return {
    check: (v, p) => {
      if (typeof v !== 'number' || Number.isNaN(v)) return fail(p, `expected a number, got ${kind(v)}`);
      if (opts.int === true && !Number.isSafeInteger(v)) return fail(p, `expected a whole number, got ${v}`);
      if (opts.min !== undefined && v < opts.min) return fail(p, `${v} is below ${opts.min}`);
      if (opts.max !== undefined && v > opts.max) return fail(p, `${v} is above ${opts.max}`);
      return ok(v);
    },
  };
}

export const bool: Validator<boolean> = {
  check: (v, p) => (typeof v === 'boolean' ? ok(v) : fail(p, `expected true or false, got ${kind(v)}`)),
};

export function lit<const T extends string | number | boolean>(...values: readonly T[]): Validator<T> {
  return {
    check: (v, p) =>
      (values as readonly unknown[]).includes(v) ? ok(v as T) : fail(p, `expected ${values.map((x) => JSON.stringify(x)).join(' | ')}, got ${short(v)}`),
  };
}

export function arr<T>(item: Validator<T>, opts: { max?: number } = {}): Validator<T[]> {
  const max = opts.max ?? 100_000;
  return {
    check: (v, p) => {
      if (!Array.isArray(v)) return fail(p, `expected a list, got ${kind(v)}`);
      if (v.length > max) return fail(p, `list longer than ${max}`);
      const out: T[] = new Array<T>(v.length);
      for (let i = 0; i < v.length; i++) {
        const r = item.check(v[i], `${p}[${i}]`);
        if (!r.ok) return r;
        out[i] = r.value;
      }
      return ok(out);
    },
  };
}

export function nullable<T>(inner: Validator<T>): Validator<T | null> {
  return { check: (v, p) => (v === null ? ok(null) : inner.check(v, p)) };
}

/** An optional property: absent (undefined) or valid. */
export interface Optional<T> extends Validator<T | undefined> {
  readonly optional: true;
}

export function opt<T>(inner: Validator<T>): Optional<T> {
  return { optional: true, check: (v, p) => (v === undefined ? ok(undefined) : inner.check(v, p)) };
}

type Shape = Readonly<Record<string, Validator<unknown>>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends Optional<unknown> ? K : never }[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
type Flatten<T> = { [K in keyof T]: T[K] };
export type ObjOf<S extends Shape> = Flatten<
  { readonly [K in RequiredKeys<S>]: Infer<S[K]> } & { readonly [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined> }
>;

/** An object with exactly these keys (unknown keys are refused, so typos surface). */
export function obj<S extends Shape>(shape: S): Validator<ObjOf<S>> {
  const keys = Object.keys(shape);
  return {
    check: (v, p) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(p, `expected an object, got ${kind(v)}`);
      const record = v as Record<string, unknown>;
      for (const k of Object.keys(record)) {
        if (!(k in shape)) return fail(p, `unknown key '${k}'`);
      }
      const out: Record<string, unknown> = {};
      for (const k of keys) {
        const validator = shape[k];
        if (!validator) continue;
        const r = validator.check(record[k], p ? `${p}.${k}` : k);
        if (!r.ok) return r;
        if (r.value !== undefined) out[k] = r.value;
      }
      return ok(out as ObjOf<S>);
    },
  };
}

/** A map from free-form keys to values of one kind. */
export function record<T>(value: Validator<T>, opts: { max?: number } = {}): Validator<Record<string, T>> {
  const max = opts.max ?? 1000;
  return {
    check: (v, p) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(p, `expected an object, got ${kind(v)}`);
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length > max) return fail(p, `more than ${max} keys`);
      const out: Record<string, T> = {};
      for (const [k, x] of entries) {
        const r = value.check(x, `${p}.${k}`);
        if (!r.ok) return r;
        out[k] = r.value;
      }
      return ok(out);
    },
  };
}

export function oneOf<T>(...options: readonly Validator<T>[]): Validator<T> {
  return {
    check: (v, p) => {
      let last: Result<T> = fail(p, 'no alternative matched');
      for (const o of options) {
        last = o.check(v, p);
        if (last.ok) return last;
      }
      return last;
    },
  };
}

type Messages = Readonly<Record<string, Shape>>;
type TaggedOf<Key extends string, M extends Messages> = {
  [K in keyof M & string]: Flatten<{ readonly [P in Key]: K } & ObjOf<M[K]>>;
}[keyof M & string];
export type MessageOf<M extends Messages> = TaggedOf<'type', M>;

/** A union of objects told apart by the string at `key`; errors name the alternative. */
export function tagged<const Key extends string, M extends Messages>(key: Key, defs: M): Validator<TaggedOf<Key, M>> {
  const byTag = new Map<string, Validator<unknown>>();
  for (const [tag, shape] of Object.entries(defs)) byTag.set(tag, obj({ [key]: lit(tag), ...shape }));
  return {
    check: (v, p) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(p, `expected an object, got ${kind(v)}`);
      const tag = (v as Record<string, unknown>)[key];
      if (typeof tag !== 'string') return fail(p, `has no string "${key}"`);
      const validator = byTag.get(tag);
      if (!validator) return fail(p, `unknown ${key} '${tag.slice(0, 60)}'`);
      return validator.check(v, p) as Result<TaggedOf<Key, M>>;
    },
  };
}

/** A union of messages told apart by `type`. */
export function messages<M extends Messages>(defs: M): Validator<MessageOf<M>> {
  const inner = tagged('type', defs);
  return {
    check: (v, p) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(p, `expected a message object, got ${kind(v)}`);
      const type = (v as { type?: unknown }).type;
      if (typeof type !== 'string') return fail(p, 'the message has no string "type"');
      if (!Object.prototype.hasOwnProperty.call(defs, type)) return fail(p, `unknown message type '${type.slice(0, 60)}'`);
      return inner.check(v, p ? `${p}(${type})` : type);
    },
  };
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v;
}

function short(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    return s.length > 40 ? `${s.slice(0, 40)}...` : s;
  } catch {
    return kind(v);
  }
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

const name = str({ max: 256, min: 1 });
const id = str({ max: 64, min: 1, pattern: /^[A-Za-z0-9_.:-]+$/ });

export const DATATYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES'] as const;
export const datatype = lit(...DATATYPES);
export type Datatype = Infer<typeof datatype>;

/** Most rows a `rows` message carries; the table asks for windows of this size or less. */
export const MAX_WINDOW_ROWS = 2000;
/** Most cells the editable grid may send in one `send` (larger inputs are loaded from files). */
export const MAX_GRID_CELLS = 2_000_000;

/** One input of the model as ModelMetadata tells it; `text` marks BYTES that are UTF-8 strings. */
export const schemaField = obj({
  name,
  datatype,
  shape: arr(num({ int: true, min: -1 }), { max: 32 }),
  text: bool,
});
export type SchemaField = Infer<typeof schemaField>;

export const modelSchema = obj({
  model: name,
  version: str({ max: 128 }),
  platform: str({ max: 256 }),
  kind: lit('dataframe', 'tensor'),
  inputs: arr(schemaField, { max: 10_000 }),
  outputs: arr(schemaField, { max: 10_000 }),
});
export type ModelSchema = Infer<typeof modelSchema>;

/** A place to send requests: a running model container, or any V2 server by address. */
export const target = obj({
  id,
  label: str({ max: 300 }),
  detail: str({ max: 1000 }),
  address: str({ max: 1000, min: 1 }),
  kind: lit('container', 'address'),
});
export type Target = Infer<typeof target>;

/** A column of a table the extension holds (inputs loaded from files, answers). */
export const columnInfo = obj({ name: str({ max: 1000 }), datatype: str({ max: 64 }), shape: str({ max: 200 }), nulls: num({ int: true, min: 0 }) });
export type ColumnInfo = Infer<typeof columnInfo>;

export const tableInfo = obj({ tableId: id, rows: num({ int: true, min: 0 }), columns: arr(columnInfo, { max: 10_000 }) });
export type TableInfo = Infer<typeof tableInfo>;

export const timings = obj({
  encodeMs: num({ min: 0 }),
  roundTripMs: num({ min: 0 }),
  serverMs: opt(num({ min: 0 })),
  decodeMs: num({ min: 0 }),
});
export type Timings = Infer<typeof timings>;

export const sizes = obj({ requestBytes: num({ int: true, min: 0 }), responseBytes: num({ int: true, min: 0 }) });
export type Sizes = Infer<typeof sizes>;

export const frame = obj({
  file: str({ max: 4096 }),
  line: num({ int: true, min: 0 }),
  function: str({ max: 1000 }),
  code: str({ max: 4000 }),
  inModel: bool,
  /** True when the extension found the file on this machine, so a click opens it. */
  linked: bool,
});
export type Frame = Infer<typeof frame>;

export const failure = obj({
  /** gRPC status name (INVALID_ARGUMENT, UNKNOWN ...) or LOCAL for a problem found before sending. */
  status: str({ max: 64 }),
  message: str({ max: 100_000 }),
  /** A way out the panel offers with the message (the model is not running: run it). */
  action: opt(lit('runModel')),
  error: opt(
    obj({
      type: str({ max: 1000 }),
      message: str({ max: 100_000 }),
      phase: str({ max: 64 }),
      frames: arr(frame, { max: 1000 }),
      traceback: str({ max: 200_000 }),
    }),
  ),
});
export type Failure = Infer<typeof failure>;

export const historyEntry = obj({
  historyId: id,
  at: num({ min: 0 }),
  model: str({ max: 256 }),
  address: str({ max: 1000 }),
  summary: str({ max: 1000 }),
  ok: bool,
  status: str({ max: 64 }),
  roundTripMs: num({ min: 0 }),
  /** False when the request's data was dropped to save memory (it can no longer be re-sent). */
  kept: bool,
});
export type HistoryEntry = Infer<typeof historyEntry>;

/** The editable grid's contents: one list of cell texts per column; null = missing. */
export const gridColumn = obj({ name, cells: arr(nullable(str({ max: 100_000 })), { max: MAX_GRID_CELLS }) });
export type GridColumn = Infer<typeof gridColumn>;

/** A tensor typed in the editor: JSON of a (nested) list, plus the shape the user gave or -1s. */
export const tensorText = obj({ name, datatype, shape: arr(num({ int: true, min: -1 }), { max: 32 }), text: str({ max: 50_000_000 }) });
export type TensorText = Infer<typeof tensorText>;

/** What to send. */
export const inputPayload = tagged('source', {
  grid: { columns: arr(gridColumn, { max: 10_000 }) },
  tensors: { tensors: arr(tensorText, { max: 10_000 }) },
  loaded: { inputId: id },
});
export type InputPayload = Infer<typeof inputPayload>;

export const cell = nullable(str({ max: 100_000 }));

export const comparison = obj({
  a: id,
  b: id,
  columns: arr(
    obj({
      name: str({ max: 1000 }),
      /** `same`, `differs`, `only-a`, `only-b`, `type` (datatypes differ), `rows` (row counts differ). */
      verdict: lit('same', 'differs', 'only-a', 'only-b', 'type', 'rows'),
      differing: num({ int: true, min: 0 }),
      maxAbsDiff: nullable(num()),
      firstRow: nullable(num({ int: true, min: 0 })),
    }),
    { max: 10_000 },
  ),
});
export type Comparison = Infer<typeof comparison>;

/** The connected model's container as the panel tells it: it follows Stop, Restart and dev-mode reloads. */
/** Where random values of an input come from: the range of its values in the model's sample, or its texts. */
export const valueRange = obj({
  min: opt(num()),
  max: opt(num()),
  values: opt(arr(str({ max: 1000 }), { max: 100 })),
});
export type ValueRange = Infer<typeof valueRange>;

export const MODEL_STATES = ['running', 'starting', 'reloading', 'reloaded', 'reload-failed', 'stopped'] as const;
export const modelState = obj({
  state: lit(...MODEL_STATES),
  text: str({ max: 2000 }),
});
export type ModelState = Infer<typeof modelState>;

// ---------------------------------------------------------------------------------------------
// Webview -> extension

export const toExtension = messages({
  /** The webview has loaded (again) and wants the whole state. */
  ready: {},
  /** List the targets again (containers started or stopped). */
  refreshTargets: {},
  /** Connect to a target by id (from `targets`) or by address (`unix:///path`, `host:port`). */
  connect: { targetId: opt(id), address: opt(str({ max: 1000 })), model: opt(str({ max: 256 })) },
  send: { requestId: id, input: inputPayload },
  /** Abandon a request in flight (the server may still finish it). */
  cancel: { requestId: id },
  /** Ask for rows [start, start + count) of a table the extension holds. */
  getRows: { tableId: id, start: num({ int: true, min: 0 }), count: num({ int: true, min: 1, max: MAX_WINDOW_ROWS }) },
  /** Open the file dialog and load an input from CSV, JSON, Arrow, Parquet, .npy or .npz. */
  loadFile: {},
  /** Turn a loaded input into grid cells (small inputs only). */
  editLoaded: { inputId: id },
  openFrame: { file: str({ max: 4096, min: 1 }), line: num({ int: true, min: 0 }) },
  resend: { historyId: id },
  compare: { a: id, b: id },
  saveSample: { historyId: id, name: str({ max: 200, min: 1, pattern: /^[A-Za-z0-9][A-Za-z0-9 _.-]*$/ }) },
  copyGrpcurl: { historyId: id },
  showHistoryEntry: { historyId: id },
  /** Start the connected model (PyML: Run Model on its folder). */
  runModel: {},
  /** The whole value of one shown cell of a table (the detail view of a tensor). */
  getCell: { tableId: id, row: num({ int: true, min: 0 }), column: num({ int: true, min: 0 }) },
  /** Something went wrong in the webview; the extension writes it to the log. */
  log: { level: lit('info', 'warn', 'error'), text: str({ max: 10_000 }) },
});
export type ToExtension = Infer<typeof toExtension>;

// ---------------------------------------------------------------------------------------------
// Extension -> webview

export const toWebview = messages({
  targets: { targets: arr(target, { max: 1000 }), note: opt(str({ max: 2000 })) },
  /** Connected (schema present) or not (schema absent, `error` says why). */
  connection: {
    address: str({ max: 1000 }),
    server: str({ max: 300 }),
    schema: opt(modelSchema),
    error: opt(str({ max: 10_000 })),
    action: opt(lit('runModel')),
  },
  /** The whole value of one cell, as asked by getCell (null: missing). */
  cellDetail: { tableId: id, row: num({ int: true, min: 0 }), column: num({ int: true, min: 0 }), text: nullable(str({ max: 1_100_000 })) },
  /** Ranges for random values of each input, and where they come from (a sample file's name). */
  ranges: { source: str({ max: 4096 }), inputs: record(valueRange, { max: 10_000 }) },
  /** The connected model's container changed state. */
  modelState: { state: lit(...MODEL_STATES), text: str({ max: 2000 }) },
  /** An input loaded from a file, held by the extension. */
  loaded: { inputId: id, file: str({ max: 4096 }), table: tableInfo, warnings: arr(str({ max: 2000 }), { max: 100 }) },
  /** A loaded input turned into grid cells. */
  gridData: { columns: arr(gridColumn, { max: 10_000 }) },
  sending: { requestId: id },
  result: { requestId: id, historyId: id, table: tableInfo, timings, sizes },
  failed: { requestId: id, historyId: opt(id), failure },
  rows: { tableId: id, start: num({ int: true, min: 0 }), rows: arr(arr(cell, { max: 10_000 }), { max: MAX_WINDOW_ROWS }) },
  history: { entries: arr(historyEntry, { max: 1000 }) },
  comparison: { comparison },
  notice: { level: lit('info', 'warn', 'error'), text: str({ max: 10_000 }) },
});
export type ToWebview = Infer<typeof toWebview>;

export function parseToExtension(value: unknown): Result<ToExtension> {
  return toExtension.check(value, '');
}

export function parseToWebview(value: unknown): Result<ToWebview> {
  return toWebview.check(value, '');
}

/** The state the webview keeps across reloads (vscode.setState), checked when revived. */
export const webviewState = obj({ address: opt(str({ max: 1000 })), targetId: opt(id), model: opt(str({ max: 256 })) });
export type WebviewState = Infer<typeof webviewState>;
