import { createHash } from 'crypto';
import assets from './generated/assets.json';
import { deriveNames } from './names';
import { manifestText, packagesText, readmeText, requirementsText } from './templates/common';
import { TEMPLATES } from './templates/index';
import { KINDS, TEMPLATE_IDS, type Kind, type KindTemplate, type ModelNames, type ScaffoldFile, type TemplateId, type TemplateSpec } from './types';

/** The sample request every template writes; its format is described in src/scaffold/README.md. */
export const SAMPLE_FILE = 'samples/example.json';

/** A stored data/ or samples/ file: UTF-8 text, or bytes in base64. */
export type StoredFile = { readonly text: string } | { readonly base64: string };

export interface StoredTemplate {
  /** sourceHash() of the sources the files were generated from. */
  readonly sourceHash: string;
  readonly files: Readonly<Record<string, StoredFile>>;
}

export interface StoredAssets {
  readonly generator: string;
  readonly templates: Readonly<Record<string, StoredTemplate | undefined>>;
}

const STORED: StoredAssets = assets;

/** Every template x kind pair that exists. */
export function templateKinds(): { template: TemplateId; kind: Kind }[] {
  return TEMPLATE_IDS.flatMap((template) =>
    KINDS.filter((kind) => TEMPLATES[template].kinds[kind] !== undefined).map((kind) => ({ template, kind })),
  );
}

export function kindTemplate(template: TemplateId, kind: Kind): { spec: TemplateSpec; t: KindTemplate } {
  const spec = TEMPLATES[template];
  const t = spec.kinds[kind];
  if (!t) throw new Error(`The ${spec.label} template has no ${kind} model.`);
  return { spec, t };
}

/**
 * The files of a new model folder: sources rendered for its names, plus the parameters in data/
 * and the sample in samples/ that src/scaffold/gen/generate.ts produced by running train.py.
 * Pure: the same arguments give the same files. Throws when the name is not valid.
 */
export function renderTemplate(kind: Kind, template: TemplateId, name: string | ModelNames): ScaffoldFile[] {
  const names = typeof name === 'string' ? namesOrThrow(name) : name;
  const stored = STORED.templates[`${template}/${kind}`];
  if (!stored) throw new Error(`The ${template}/${kind} template has no generated data: run src/scaffold/gen/generate.ts.`);
  const generated = Object.entries(stored.files)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([path, file]): ScaffoldFile => ({ path, contents: 'text' in file ? file.text : Buffer.from(file.base64, 'base64') }));
  const sources = renderSources(kind, template, names, generated.map((f) => f.path));
  return [...sources, ...generated];
}

/** The files written from source (everything but data/ and samples/). */
export function renderSources(kind: Kind, template: TemplateId, names: ModelNames, generatedPaths: readonly string[] = []): ScaffoldFile[] {
  const { spec, t } = kindTemplate(template, kind);
  const code = t.sources(names);
  const paths = ['pyml.yaml', ...Object.keys(code), 'requirements.txt', 'packages.txt', 'README.md', ...generatedPaths];
  return [
    { path: 'pyml.yaml', contents: manifestText(names, kind, spec, t) },
    ...Object.entries(code).map(([path, contents]) => ({ path, contents })),
    { path: 'requirements.txt', contents: requirementsText(t) },
    { path: 'packages.txt', contents: packagesText() },
    { path: 'README.md', contents: readmeText(names, kind, spec, t, paths) },
  ];
}

/**
 * A hash of what the generated files depend on: the training script, the model code and the
 * sample inputs, rendered for a fixed name. A change means the generator must run again.
 */
export function sourceHash(kind: Kind, template: TemplateId): string {
  const { t } = kindTemplate(template, kind);
  const hash = createHash('sha256');
  for (const [path, text] of Object.entries(t.sources(REFERENCE_NAMES))) hash.update(`${path}\0${text}\0`);
  hash.update(JSON.stringify(t.inputs));
  hash.update(JSON.stringify(t.outputs));
  hash.update(JSON.stringify(t.sampleInputs));
  return hash.digest('hex').slice(0, 16);
}

/** The names the generator renders with. */
export const REFERENCE_NAMES: ModelNames = { manifestName: 'example', className: 'ExampleModel' };

function namesOrThrow(name: string): ModelNames {
  const derived = deriveNames(name);
  if ('error' in derived) throw new Error(derived.error);
  return derived.names;
}
