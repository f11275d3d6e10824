/** The two kinds of PyML model (the manifest's `kind`). */
export const KINDS = ['dataframe', 'tensor'] as const;
export type Kind = (typeof KINDS)[number];

/** The frameworks a template is written for. */
export const TEMPLATE_IDS = ['numpy', 'sklearn', 'torch'] as const;
export type TemplateId = (typeof TEMPLATE_IDS)[number];

/** One file of a rendered model folder; `path` is relative and uses '/'. */
export interface ScaffoldFile {
  readonly path: string;
  readonly contents: string | Uint8Array;
}

/** A manifest field: a DataFrame column or a named tensor. */
export interface FieldSpec {
  readonly name: string;
  readonly dtype: string;
  /** Tensors only; -1 is any size along that axis. */
  readonly shape?: readonly number[];
  readonly description: string;
}

/** A value of a sample request: a column (list) or a tensor (nested lists). */
export type SampleValue = readonly unknown[];

/** The names a model is known by, derived from what the user typed. */
export interface ModelNames {
  /** The manifest's `name` (also the image name and the default folder name). */
  readonly manifestName: string;
  /** The Python class in model.py. */
  readonly className: string;
}

/** What one template writes for one kind, apart from the generated data/ and samples/. */
export interface KindTemplate {
  /** One line for the wizard: what the model does. */
  readonly summary: string;
  readonly inputs: readonly FieldSpec[];
  readonly outputs: readonly FieldSpec[];
  /** Lines of requirements.txt (comments allowed). */
  readonly requirements: readonly string[];
  /** Files other than the manifest, requirements, packages and README, keyed by path. */
  readonly sources: (names: ModelNames) => Readonly<Record<string, string>>;
  /** The sample request written to samples/example.json, by input name. */
  readonly sampleInputs: Readonly<Record<string, SampleValue>>;
  /** Model-specific paragraphs of the README (markdown). */
  readonly readme: string;
}

export interface TemplateSpec {
  readonly id: TemplateId;
  /** Shown in the wizard. */
  readonly label: string;
  readonly description: string;
  readonly kinds: Readonly<Partial<Record<Kind, KindTemplate>>>;
}

/** Context key set once New Model created a folder; the walkthrough's first step completes on it. */
export const MODEL_CREATED_CONTEXT = 'pyml.modelCreated';
