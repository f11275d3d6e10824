import Ajv, { type ErrorObject } from 'ajv';
import { promises as fs } from 'fs';
import * as path from 'path';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import schema from '../../schemas/pyml.schema.json';
import { toV2Datatype, type V2Datatype } from './dtypes';
import { MANIFEST_FILE } from './manifestFile';

export { MANIFEST_FILE };

export type ModelKind = 'dataframe' | 'tensor';

export interface Field {
  readonly name: string;
  /** The dtype as written in the manifest (`float64`, `FP64`, `string` ...). */
  readonly dtype: string;
  readonly datatype: V2Datatype;
  /** Tensor shape, -1 for any size; absent for DataFrame columns. */
  readonly shape?: readonly number[];
}

export interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly module: string;
  readonly className: string;
  readonly kind: ModelKind;
  readonly inputs: readonly Field[];
  readonly outputs: readonly Field[];
  readonly threadSafe: boolean;
  readonly runtime: {
    readonly baseImage?: string;
    readonly maxMessageMB?: number;
    readonly env: Readonly<Record<string, string>>;
  };
}

/** A position in the manifest text: zero-based line and character. */
export interface TextPosition {
  readonly line: number;
  readonly character: number;
}

export interface ManifestProblem {
  readonly message: string;
  /** Key path of the offending value, e.g. ['inputs', 0, 'dtype']. */
  readonly path: readonly (string | number)[];
  readonly start: TextPosition;
  readonly end: TextPosition;
  /** What found it: the YAML parser, the JSON Schema, a rule across fields, or reading the file. */
  readonly source?: ManifestProblemSource;
}

export type ManifestProblemSource = 'yaml' | 'schema' | 'semantic' | 'file';

export interface ParsedManifest {
  readonly manifest?: Manifest;
  readonly problems: readonly ManifestProblem[];
}

/** Raised when a model folder's manifest cannot be used; names the file and every problem. */
export class ManifestError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly ManifestProblem[],
  ) {
    super(
      `${file} is not a valid PyML manifest:\n` +
        problems.map((p) => `  line ${p.start.line + 1}: ${p.message}`).join('\n'),
    );
    this.name = 'ManifestError';
  }
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(schema);

/** Parses and validates a manifest's text; problems carry positions in that text. */
export function parseManifest(text: string): ParsedManifest {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offsets: readonly [number, number]): Pick<ManifestProblem, 'start' | 'end'> => ({
    start: toPosition(lineCounter, offsets[0]),
    end: toPosition(lineCounter, Math.max(offsets[1], offsets[0])),
  });
  const syntax = [...doc.errors, ...doc.warnings].map((e) => ({
    message: e.message.split('\n')[0] ?? e.message,
    path: [],
    ...at(e.pos),
    source: 'yaml' as const,
  }));
  if (doc.errors.length > 0) return { problems: syntax };

  const value: unknown = doc.toJS();
  if (!validate(value)) {
    const problems = (validate.errors ?? []).filter(isUseful).map((e) => schemaProblem(doc, e, at));
    return { problems: [...syntax, ...dedupe(problems)] };
  }
  const raw = value as unknown as RawManifest;
  const semantic = semanticProblems(raw, doc, at);
  if (semantic.length > 0) return { problems: [...syntax, ...semantic] };
  return { manifest: toManifest(raw), problems: syntax };
}

/** Reads `pyml.yaml` of a model folder; throws ManifestError naming each problem. */
export async function loadManifest(folder: string): Promise<Manifest> {
  const file = path.join(folder, MANIFEST_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(err);
    throw new ManifestError(file, [{ message: reason, path: [], start: origin, end: origin, source: 'file' }]);
  }
  const parsed = parseManifest(text);
  if (!parsed.manifest) throw new ManifestError(file, parsed.problems);
  return parsed.manifest;
}

interface RawField {
  name: string;
  dtype: string;
  shape?: number[];
}

interface RawManifest {
  name: string;
  version?: string;
  model: string;
  kind: ModelKind;
  inputs: RawField[];
  outputs: RawField[];
  thread_safe?: boolean;
  runtime?: { base_image?: string; max_message_mb?: number; env?: Record<string, string> };
}

type Locate = (offsets: readonly [number, number]) => Pick<ManifestProblem, 'start' | 'end'>;

const origin: TextPosition = { line: 0, character: 0 };

function toPosition(lineCounter: LineCounter, offset: number): TextPosition {
  const { line, col } = lineCounter.linePos(offset);
  return { line: Math.max(0, line - 1), character: Math.max(0, col - 1) };
}

function isUseful(e: ErrorObject): boolean {
  // `$ref`/`if` wrappers repeat the real error below them.
  return e.keyword !== 'if' && e.keyword !== '$ref';
}

function schemaProblem(doc: Document, e: ErrorObject, at: Locate): ManifestProblem {
  const keyPath = e.instancePath
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
  const where = keyPath.length === 0 ? 'the manifest' : `'${keyPath.join('.')}'`;
  let message: string;
  switch (e.keyword) {
    case 'required':
      message = `${where} is missing the required key '${String(e.params['missingProperty'])}'`;
      break;
    case 'additionalProperties':
      message = `${where} has an unknown key '${String(e.params['additionalProperty'])}'`;
      keyPath.push(String(e.params['additionalProperty']));
      break;
    case 'enum':
      message = `${where} must be one of: ${(e.params['allowedValues'] as unknown[]).map(String).join(', ')}`;
      break;
    case 'pattern':
      message = `${where} ${patternHint(keyPath)}`;
      break;
    default:
      message = `${where} ${e.message ?? 'is invalid'}`;
  }
  return { message, path: keyPath, ...at(rangeOf(doc, keyPath, e.keyword === 'additionalProperties')), source: 'schema' };
}

function patternHint(keyPath: readonly (string | number)[]): string {
  switch (keyPath[0]) {
    case 'model':
      return "must be 'module:Class', e.g. 'model:ChurnModel'";
    case 'name':
      return "must be lower-case letters, digits, '.', '_' or '-' (it names the image)";
    case 'version':
      return 'must be a version like 0.1.0 (it becomes the image tag)';
    default:
      return 'has an invalid format';
  }
}

function rangeOf(doc: Document, keyPath: readonly (string | number)[], keyItself = false): [number, number] {
  for (let n = keyPath.length; n >= 0; n--) {
    const sub = keyPath.slice(0, n);
    if (keyItself && n === keyPath.length) {
      const parent = sub.length > 1 ? doc.getIn(sub.slice(0, -1), true) : doc.contents;
      const pair = isNode(parent) && 'items' in parent ? findPair(parent.items, sub[sub.length - 1]) : undefined;
      if (pair) return pair;
    }
    const node = sub.length === 0 ? doc.contents : doc.getIn(sub, true);
    if (isNode(node) && node.range) return [node.range[0], node.range[1]];
  }
  return [0, 0];
}

function findPair(items: unknown, key: string | number | undefined): [number, number] | undefined {
  if (!Array.isArray(items)) return undefined;
  for (const item of items as { key?: unknown }[]) {
    const k = item.key;
    if (isNode(k) && 'value' in k && k.value === key && k.range) return [k.range[0], k.range[1]];
  }
  return undefined;
}

function semanticProblems(raw: RawManifest, doc: Document, at: Locate): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  for (const side of ['inputs', 'outputs'] as const) {
    const seen = new Set<string>();
    raw[side].forEach((field, i) => {
      if (seen.has(field.name)) {
        const keyPath = [side, i, 'name'];
        problems.push({
          message: `'${side}' declares '${field.name}' twice`,
          path: keyPath,
          ...at(rangeOf(doc, keyPath)),
          source: 'semantic',
        });
      }
      seen.add(field.name);
      if (raw.kind === 'dataframe' && field.shape && field.shape.length > 1) {
        const keyPath = [side, i, 'shape'];
        problems.push({
          message: `'${side}.${i}.shape': a DataFrame column is one-dimensional; remove 'shape' or use kind: tensor`,
          path: keyPath,
          ...at(rangeOf(doc, keyPath)),
          source: 'semantic',
        });
      }
    });
  }
  return problems;
}

function dedupe(problems: ManifestProblem[]): ManifestProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path.join('.')}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function toField(raw: RawField): Field {
  const datatype = toV2Datatype(raw.dtype);
  if (!datatype) throw new Error(`unknown dtype ${raw.dtype}`); // the schema's enum rules this out
  return raw.shape ? { name: raw.name, dtype: raw.dtype, datatype, shape: raw.shape } : { name: raw.name, dtype: raw.dtype, datatype };
}

function toManifest(raw: RawManifest): Manifest {
  const [module = '', className = ''] = raw.model.split(':');
  const runtime = raw.runtime ?? {};
  return {
    name: raw.name,
    version: raw.version ?? '0.1.0',
    module,
    className,
    kind: raw.kind,
    inputs: raw.inputs.map(toField),
    outputs: raw.outputs.map(toField),
    threadSafe: raw.thread_safe ?? false,
    runtime: {
      ...(runtime.base_image !== undefined ? { baseImage: runtime.base_image } : {}),
      ...(runtime.max_message_mb !== undefined ? { maxMessageMB: runtime.max_message_mb } : {}),
      env: runtime.env ?? {},
    },
  };
}
