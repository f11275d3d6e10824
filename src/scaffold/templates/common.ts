import type { FieldSpec, Kind, KindTemplate, ModelNames, TemplateSpec } from '../types';

/** pyml.yaml for a template: real schema, descriptions, and the optional keys as comments. */
export function manifestText(names: ModelNames, kind: Kind, spec: TemplateSpec, t: KindTemplate): string {
  return [
    '# PyML manifest: the class that implements the contract, and the schema of its inputs and outputs.',
    '# Hover a key in VS Code for its documentation (schemas/pyml.schema.json).',
    `name: ${names.manifestName}`,
    'version: 0.1.0',
    `description: ${JSON.stringify(`${t.summary} (${spec.label} template)`)}`,
    `model: model:${names.className}`,
    `kind: ${kind}`,
    '# predict() keeps no state between calls, so the server may call it concurrently.',
    'thread_safe: true',
    'inputs:',
    ...t.inputs.flatMap(fieldLines),
    'outputs:',
    ...t.outputs.flatMap(fieldLines),
    '# runtime:',
    '#   base_image: python:3.13-slim   # default: the pyml.build.baseImage setting',
    '#   max_message_mb: 512',
    '#   env: {OMP_NUM_THREADS: "1"}',
    '',
  ].join('\n');
}

function fieldLines(f: FieldSpec): string[] {
  return [
    `  - name: ${f.name}`,
    `    dtype: ${f.dtype}`,
    ...(f.shape ? [`    shape: [${f.shape.join(', ')}]`] : []),
    `    description: ${JSON.stringify(f.description)}`,
  ];
}

/** requirements.txt: what model.py imports, unpinned upward so a base image that already has it needs no index. */
export function requirementsText(t: KindTemplate): string {
  return [
    '# pip requirements of model.py (and train.py). The PyML runtime brings grpcio, protobuf and PyYAML.',
    '# Lower bounds only: a base image that already has a matching version installs nothing.',
    ...t.requirements,
    '',
  ].join('\n');
}

export function packagesText(): string {
  return [
    '# Debian packages (apt-get install) the model needs at run time, one a line, e.g. libgomp1.',
    '# This model needs none.',
    '',
  ].join('\n');
}

/** The model's README.md: what it is, how to run, test and retrain it. */
export function readmeText(names: ModelNames, kind: Kind, spec: TemplateSpec, t: KindTemplate, files: readonly string[]): string {
  const contract = kind === 'dataframe'
    ? '`predict(self, df: pd.DataFrame) -> pd.DataFrame`'
    : '`predict(self, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]`';
  const base = kind === 'dataframe' ? 'DataFrameModel' : 'TensorModel';
  const field = (f: FieldSpec): string =>
    `| \`${f.name}\` | ${f.dtype} | ${f.shape ? `[${f.shape.join(', ')}]` : '-'} | ${f.description} |`;
  return [
    `# ${names.manifestName}`,
    '',
    `${t.summary}. Created by **PyML: New Model** from the ${spec.label} template.`,
    '',
    `\`${names.className}\` in \`model.py\` derives from \`pyml.${base}\`: its constructor loads the parameters in \`data/\`,`,
    `and ${contract} answers requests.`,
    '',
    t.readme,
    '',
    '## Inputs and outputs',
    '',
    '| | dtype | shape | |',
    '| --- | --- | --- | --- |',
    ...t.inputs.map(field),
    ...t.outputs.map(field),
    '',
    '## Files',
    '',
    ...files.map((f) => `- \`${f}\`${FILE_NOTES[f] ? `: ${FILE_NOTES[f]}` : ''}`),
    '',
    '## Build, run, test',
    '',
    '1. **PyML: Build Image** builds one Docker image from this folder.',
    '2. **PyML: Run Model** starts it and waits until it answers.',
    '3. **PyML: Open Test Prediction Panel** sends `samples/example.json` (or your own rows) and shows the answer.',
    '',
    '## Retrain',
    '',
    'Edit `make_training_data()` in `train.py` to read your data, then run it with the same libraries',
    'as in `requirements.txt`:',
    '',
    '    python3 train.py',
    '',
    'It rewrites `data/`. The expected output in `samples/example.json` was computed with the shipped',
    'parameters: after retraining, send the sample from the panel and save its answer as the new expectation.',
    '',
  ].join('\n');
}

const FILE_NOTES: Readonly<Record<string, string>> = {
  'pyml.yaml': 'the manifest: class, kind, input and output schema',
  'model.py': 'the model class',
  'network.py': 'the PyTorch network, shared by model.py and train.py',
  'train.py': 'retrains the model and rewrites data/',
  'requirements.txt': 'pip requirements',
  'packages.txt': 'Debian packages (none needed)',
  'samples/example.json': 'a sample request and its expected output',
};
