import * as fs from 'fs';
import * as path from 'path';

/**
 * What the analysis reads of the disk. The LSP layer lays the editor's open documents over the disk,
 * so unsaved edits of pyml.yaml or requirements.txt count at once; tests use fixture folders.
 */
export interface FileSystem {
  readText(file: string): string | undefined;
  isFile(file: string): boolean;
  isDirectory(file: string): boolean;
  /** Entry names of a directory, or undefined when it does not exist. */
  list(dir: string): readonly string[] | undefined;
}

/**
 * The disk, read-only, with an overlay of open documents (absolute path → text). Caches what it
 * reads for its lifetime: make one per analysis pass.
 */
export class DiskFileSystem implements FileSystem {
  private readonly stats = new Map<string, 'file' | 'dir' | 'none'>();
  private readonly dirs = new Map<string, readonly string[] | undefined>();
  private readonly texts = new Map<string, string | undefined>();

  constructor(private readonly overlay: (file: string) => string | undefined = () => undefined) {}

  readText(file: string): string | undefined {
    const open = this.overlay(file);
    if (open !== undefined) return open;
    if (this.texts.has(file)) return this.texts.get(file);
    let text: string | undefined;
    try {
      text = this.isFile(file) ? fs.readFileSync(file, 'utf8') : undefined;
    } catch {
      text = undefined;
    }
    this.texts.set(file, text);
    return text;
  }

  isFile(file: string): boolean {
    return this.overlay(file) !== undefined || this.stat(file) === 'file';
  }

  isDirectory(file: string): boolean {
    return this.stat(file) === 'dir';
  }

  list(dir: string): readonly string[] | undefined {
    if (this.dirs.has(dir)) return this.dirs.get(dir);
    let names: readonly string[] | undefined;
    try {
      names = fs.readdirSync(dir);
    } catch {
      names = undefined;
    }
    this.dirs.set(dir, names);
    return names;
  }

  private stat(file: string): 'file' | 'dir' | 'none' {
    let kind = this.stats.get(file);
    if (kind === undefined) {
      try {
        const s = fs.statSync(file);
        kind = s.isFile() ? 'file' : s.isDirectory() ? 'dir' : 'none';
      } catch {
        kind = 'none';
      }
      this.stats.set(file, kind);
    }
    return kind;
  }
}

export const MANIFEST_NAME = 'pyml.yaml';
export const REQUIREMENTS_NAME = 'requirements.txt';
export const PACKAGES_NAME = 'packages.txt';

/**
 * The model folder of a file: the nearest directory at or above it that holds a pyml.yaml, not
 * climbing above `roots` (the workspace folders) nor more than a few levels.
 */
export function findModelFolder(file: string, files: FileSystem, roots: readonly string[] = []): string | undefined {
  let dir = path.dirname(file);
  for (let depth = 0; depth < 6; depth++) {
    if (files.isFile(path.join(dir, MANIFEST_NAME))) return dir;
    if (roots.some((r) => samePath(r, dir))) return undefined;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}

export function samePath(a: string, b: string): boolean {
  const na = path.resolve(a);
  const nb = path.resolve(b);
  return process.platform === 'win32' || process.platform === 'darwin' ? na.toLowerCase() === nb.toLowerCase() : na === nb;
}
