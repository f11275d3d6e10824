import * as path from 'path';
import { outlineManifest, type ManifestOutline } from '../../model/manifestOutline';
import { findModelFolder, MANIFEST_NAME, REQUIREMENTS_NAME, type FileSystem } from './fs';
import { parseRequirements, type RequirementEntry } from './requirements';

export interface Declared {
  readonly file: string;
  readonly line: number;
}

/** What requirements.txt (and the files it includes with -r) installs. */
export interface RequirementsIndex {
  readonly file: string;
  readonly exists: boolean;
  readonly text: string | undefined;
  readonly entries: readonly RequirementEntry[];
  /** Normalised distribution name → where it is declared. */
  readonly names: ReadonlyMap<string, Declared>;
  /** Some lines install something whose name cannot be read (a URL or path without a name). */
  readonly opaque: boolean;
}

/**
 * The model folder a file belongs to, as the rules need it. A file outside any model folder gets a
 * context rooted at its own directory with no manifest.
 */
export interface ModelContext {
  readonly root: string;
  readonly files: FileSystem;
  readonly manifestFile: string;
  /** Present when pyml.yaml exists (even when it is invalid). */
  readonly manifest?: ManifestOutline;
  readonly requirements: RequirementsIndex;
  /** Absolute path of the module file the manifest's `model:` names, when that file exists. */
  readonly modelModuleFile?: string;
  /** Whether an import refers to code in the model folder. */
  readonly isLocalModule: (module: string, level: number) => boolean;
}

export function modelContextFor(file: string, files: FileSystem, roots: readonly string[] = []): ModelContext {
  const folder = findModelFolder(file, files, roots);
  const root = folder ?? path.dirname(file);
  const manifestFile = path.join(root, MANIFEST_NAME);
  const manifestText = folder ? files.readText(manifestFile) : undefined;
  const manifest = manifestText !== undefined ? outlineManifest(manifestText) : undefined;
  const modelModuleFile = manifest?.model ? moduleFile(root, manifest.model.module, files) : undefined;
  const fileDir = path.dirname(file);
  return {
    root,
    files,
    manifestFile,
    ...(manifest ? { manifest } : {}),
    requirements: requirementsIndex(path.join(root, REQUIREMENTS_NAME), files),
    ...(modelModuleFile ? { modelModuleFile } : {}),
    isLocalModule: (module, level) => {
      if (level > 0) return true;
      const top = module.split('.')[0] ?? module;
      if (!top) return false;
      return [root, fileDir].some((dir) => files.isFile(path.join(dir, `${top}.py`)) || files.isDirectory(path.join(dir, top)));
    },
  };
}

/** `pkg.mod` → `<root>/pkg/mod.py` or `<root>/pkg/mod/__init__.py`, when it exists. */
export function moduleFile(root: string, module: string, files: FileSystem): string | undefined {
  const base = path.join(root, ...module.split('.'));
  if (files.isFile(`${base}.py`)) return `${base}.py`;
  const init = path.join(base, '__init__.py');
  return files.isFile(init) ? init : undefined;
}

export function requirementsIndex(file: string, files: FileSystem): RequirementsIndex {
  const text = files.readText(file);
  const names = new Map<string, Declared>();
  let opaque = false;
  const visited = new Set<string>();
  const visit = (current: string, entries: readonly RequirementEntry[]): void => {
    visited.add(current);
    for (const e of entries) {
      if (e.kind === 'requirement') {
        if (!names.has(e.normalized)) names.set(e.normalized, { file: current, line: e.line });
      } else if (e.kind === 'url' || (e.kind === 'option' && e.option === '--editable')) {
        if (e.name !== undefined) names.set(e.name.toLowerCase().replace(/[-_.]+/g, '-'), { file: current, line: e.line });
        else opaque = true;
      } else if (e.kind === 'option' && e.option === '--requirement') {
        const included = path.resolve(path.dirname(current), e.value);
        if (visited.has(included)) continue;
        const t = files.readText(included);
        if (t !== undefined) visit(included, parseRequirements(t));
      }
    }
  };
  const entries = text !== undefined ? parseRequirements(text) : [];
  visit(file, entries);
  return { file, exists: text !== undefined, text, entries, names, opaque };
}
