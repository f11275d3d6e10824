import type { ModelNames } from './types';

/** Names of PyML's base classes: a model class must not shadow the one it derives from. */
const RESERVED_CLASS_NAMES = new Set(['DataFrameModel', 'TensorModel']);

const MAX_NAME_LENGTH = 63;

export type NameResult = { readonly names: ModelNames } | { readonly error: string };

/**
 * Derives the manifest name and the Python class name from what the user typed
 * ("Churn predictor" -> churn-predictor, ChurnPredictorModel), or says why it cannot.
 */
export function deriveNames(input: string): NameResult {
  const text = input.trim();
  if (text.length === 0) return { error: 'Type a name for the model, e.g. churn or "house prices".' };
  const bad = /[^A-Za-z0-9 ._-]/u.exec(text)?.[0];
  if (bad !== undefined) {
    return {
      error: `'${bad}' cannot be part of a model name: use letters a-z, digits, spaces, '-', '_' or '.' (the name becomes a Docker image name and a Python class name).`,
    };
  }
  if (!/^[A-Za-z]/.test(text)) {
    return { error: `A model name must start with a letter: '${text[0] ?? ''}' cannot begin a Python class name.` };
  }
  const words = splitWords(text);
  const manifestName = words.map((w) => w.toLowerCase()).join('-');
  if (manifestName.length > MAX_NAME_LENGTH) {
    return { error: `The name is too long: '${manifestName}' has ${manifestName.length} characters, at most ${MAX_NAME_LENGTH} fit an image name.` };
  }
  const pascal = words.map((w) => (w[0] ?? '').toUpperCase() + w.slice(1)).join('');
  const className = pascal.endsWith('Model') ? pascal : `${pascal}Model`;
  if (RESERVED_CLASS_NAMES.has(className)) {
    return { error: `The class would be called ${className}, which is PyML's own base class: choose another name.` };
  }
  return { names: { manifestName, className } };
}

/** "churnPredictor v2" -> ["churn", "Predictor", "v2"]: separators and lower-to-upper case changes split words. */
function splitWords(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[ ._-]+/)
    .filter((w) => w.length > 0);
}
