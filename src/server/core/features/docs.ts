import type { ModelKind } from '../../../model/manifest';
import type { ManifestOutline } from '../../../model/manifestOutline';
import { fieldList } from '../manifestFields';
import schema from '../../../../schemas/pyml.schema.json';

/** What the hovers say about the contract's names. */
export const CONTRACT_DOCS: Readonly<Record<string, string>> = {
  DataFrameModel: [
    '**pyml.DataFrameModel** — base class of a model that predicts a pandas DataFrame from a pandas DataFrame.',
    '',
    '```python',
    'class MyModel(DataFrameModel):',
    '    def __init__(self) -> None:',
    '        self.clf = joblib.load(self.data_path("model.joblib"))',
    '',
    '    def predict(self, df: pd.DataFrame) -> pd.DataFrame:',
    '        ...',
    '```',
    '',
    'Input columns arrive as `pyml.yaml` declares them in `inputs` (names, dtypes, order); the returned DataFrame must hold the `outputs` columns. Use with `kind: dataframe`.',
  ].join('\n'),
  TensorModel: [
    '**pyml.TensorModel** — base class of a model that predicts a dict of named numpy arrays from a dict of named numpy arrays.',
    '',
    '```python',
    'class MyModel(TensorModel):',
    '    def predict(self, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:',
    '        ...',
    '```',
    '',
    'Each input array has the dtype and shape `pyml.yaml` declares in `inputs` (-1 = any size). Use with `kind: tensor`.',
  ].join('\n'),
  data_path: [
    '**data_path(*parts) → Path** — a path inside the model folder\'s `data/` directory, e.g. `self.data_path("model.joblib")`.',
    '',
    'Works in `__init__` without calling `super().__init__()`. Raises `ValueError` for a path that leaves `data/`.',
  ].join('\n'),
  model_dir: "**model_dir → Path** — the model folder (the one holding `pyml.yaml`). It is also the runtime's working directory.",
  __init__: [
    '**The model constructor.** The runtime calls `Model()` once, with no arguments, when it loads the model (and again on every dev-mode reload).',
    '',
    'Load parameters here, e.g. `joblib.load(self.data_path("model.joblib"))`. Parameters without defaults make loading fail.',
  ].join('\n'),
};

/**
 * The hover of predict: the signature for the kind, and with the manifest at hand the inputs it
 * receives and the outputs it must return.
 */
export function predictDoc(kind: ModelKind | undefined, declared?: { manifest: ManifestOutline; param: string | undefined }): string {
  const lines = ['**predict** — the method the runtime calls for every request, online and in batch.', ''];
  if (declared && kind) {
    const arg = declared.param ?? (kind === 'dataframe' ? 'df' : 'tensors');
    const type = kind === 'dataframe' ? 'pd.DataFrame' : 'dict[str, np.ndarray]';
    lines.push('```python', `def predict(self, ${arg}: ${type}) -> ${type}`, '```', '');
    lines.push(
      kind === 'dataframe' ? `\`${arg}\` holds one row per instance, with the input columns of \`pyml.yaml\`:` : `\`${arg}\` maps each input name of \`pyml.yaml\` to a numpy array:`,
      fieldList(declared.manifest, 'inputs', kind),
      '',
      kind === 'dataframe' ? 'Return a DataFrame with exactly these columns, one row per input row:' : 'Return a dict with exactly these arrays:',
      fieldList(declared.manifest, 'outputs', kind),
    );
  } else {
    const df = '`predict(self, df: pd.DataFrame) -> pd.DataFrame` — one input DataFrame (the `inputs` columns) in, one DataFrame with the `outputs` columns out.';
    const tensors = '`predict(self, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]` — the `inputs` arrays by name in, the `outputs` arrays by name out.';
    if (kind !== 'tensor') lines.push(df);
    if (kind !== 'dataframe') lines.push(tensors);
  }
  const concurrency = declared?.manifest.parsed.manifest?.threadSafe
    ? '`pyml.yaml` says `thread_safe: true`, so calls may run concurrently.'
    : 'It runs serialised unless `pyml.yaml` says `thread_safe: true`.';
  lines.push('', `A plain, synchronous method taking exactly one argument besides \`self\`, returning a value on every path. ${concurrency}`);
  return lines.join('\n');
}

interface SchemaNode {
  readonly description?: string;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly enum?: readonly unknown[];
  readonly $ref?: string;
}

const root = schema as unknown as SchemaNode & { definitions: Readonly<Record<string, SchemaNode>> };

/** Schema node of the keys at a manifest path: [] top level, ['inputs', 0] a field, ['runtime'] runtime. */
export function schemaKeysAt(path: readonly (string | number)[]): Readonly<Record<string, SchemaNode>> {
  const [first, second] = path;
  if (path.length === 0) return root.properties ?? {};
  if ((first === 'inputs' || first === 'outputs') && typeof second === 'number' && path.length === 2) return root.definitions['field']?.properties ?? {};
  if (first === 'runtime' && path.length === 1) return root.properties?.['runtime']?.properties ?? {};
  return {};
}

/** The schema's description of a key, e.g. ['inputs', 0, 'dtype']. */
export function keyDescription(path: readonly (string | number)[]): string | undefined {
  const key = path[path.length - 1];
  if (typeof key !== 'string') return undefined;
  const node = schemaKeysAt(path.slice(0, -1))[key];
  if (node?.description !== undefined) return node.description;
  const ref = node?.$ref?.split('/').pop();
  return ref !== undefined ? root.definitions[ref]?.description : undefined;
}

export const DTYPES: readonly string[] = (root.definitions['dtype']?.enum ?? []).map(String);
