/**
 * The last image published of each model, kept in the workspace's state: an existing Dask cluster's
 * workers run this reference (`<repository>@sha256:...`), which names exactly the image the extension
 * built and checked. Free of VS Code: `vscode.Memento` (ExtensionContext.workspaceState) fits `StateStore`.
 */

export interface StateStore {
  get(key: string): unknown;
  update(key: string, value: unknown): Thenable<void>;
}

export interface PublishedRecord {
  readonly model: string;
  readonly version: string;
  /** `<repository>@sha256:<manifest digest>`. */
  readonly reference: string;
  readonly repository: string;
  readonly manifestDigest: string;
  /** The image id (`sha256:...`): what `docker inspect` shows on a worker that pulled it. */
  readonly imageId: string;
  /** `<repository>:<version>` and `<repository>:sha256-<hex>`. */
  readonly tags: readonly string[];
  /** The model folder it was built from. */
  readonly folder: string;
  /** ISO time of the push. */
  readonly publishedAt: string;
}

const KEY_PREFIX = 'pyml.published.';

/** Remembers a publish (the newest per model name replaces the previous one). */
export function rememberPublished(state: StateStore, record: PublishedRecord): Thenable<void> {
  return state.update(KEY_PREFIX + record.model, record);
}

/** The last publish of a model (by its manifest name), or undefined when it was never published here. */
export function lastPublished(state: StateStore, model: string): PublishedRecord | undefined {
  const value = state.get(KEY_PREFIX + model);
  if (typeof value !== 'object' || value === null) return undefined;
  return typeof (value as Partial<PublishedRecord>).reference === 'string' ? (value as PublishedRecord) : undefined;
}

/** The reference an existing cluster's workers run for a model: `<repository>@sha256:...`, or undefined. */
export function lastPublishedReference(state: StateStore, model: string): string | undefined {
  return lastPublished(state, model)?.reference;
}
