/**
 * The manifest's file name, on its own so that code which only looks for model folders (the tree,
 * the status bar, the tasks) does not load the manifest parser (yaml, ajv) with it.
 */
export const MANIFEST_FILE = 'pyml.yaml';
