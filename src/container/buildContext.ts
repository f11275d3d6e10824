/**
 * The build context of a model image, as a tar stream (the layout dockerfile.ts expects):
 *   Dockerfile, runtime/requirements.txt, runtime/pyml/**, model/** (the model folder with its
 *   .dockerignore applied).
 * Entries are owned by root with normalised modes, so a layer's cache key depends on content only.
 */
import dockerignore from '@balena/dockerignore';
import { createReadStream, promises as fs } from 'fs';
import * as path from 'path';
import { Readable } from 'stream';
import * as tar from 'tar-stream';

/** Files above this size are streamed into the tar rather than read whole. */
const STREAM_ABOVE_BYTES = 16 * 1024 * 1024;

/** Never worth sending: caches and tool folders that change without the model changing. */
export const DEFAULT_IGNORES: readonly string[] = [
  '**/__pycache__',
  '**/*.pyc',
  '.git',
  '.hg',
  '.svn',
  '.venv',
  'venv',
  '.mypy_cache',
  '.pytest_cache',
  '.ruff_cache',
  '.ipynb_checkpoints',
  '**/.DS_Store',
];

export interface ContextFile {
  /** Path inside the context (POSIX). */
  readonly name: string;
  /** Absolute path on disk; undefined for generated content. */
  readonly source?: string;
  readonly content?: Buffer;
  readonly type: 'file' | 'symlink' | 'directory';
  readonly mode: number;
  readonly size: number;
  readonly mtime: Date;
  readonly linkname?: string;
}

export interface BuildContextInput {
  readonly dockerfile: string;
  readonly modelFolder: string;
  /** The folder holding the runtime's `requirements.txt` and `pyml/`. */
  readonly runtimeDir: string;
}

/** The patterns of a folder's .dockerignore (none when it has none), after the defaults. */
export async function ignorePatterns(folder: string): Promise<string[]> {
  let text = '';
  try {
    text = await fs.readFile(path.join(folder, '.dockerignore'), 'utf8');
  } catch {
    // no .dockerignore
  }
  const own = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  return [...DEFAULT_IGNORES, ...own];
}

/** The files of a folder that are not ignored, with paths relative to it (POSIX), sorted. */
export async function listFiles(folder: string, patterns: readonly string[]): Promise<ContextFile[]> {
  const ig = dockerignore({ ignorecase: false }).add([...patterns]);
  // With an exception ('!pattern') an ignored folder may still hold files to send: walk into it.
  const hasExceptions = patterns.some((p) => p.startsWith('!'));
  const out: ContextFile[] = [];
  async function walk(dir: string, rel: string): Promise<void> {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      const abs = path.join(dir, entry.name);
      const ignored = ig.ignores(relPath);
      if (entry.isDirectory()) {
        if (ignored && !hasExceptions) continue;
        await walk(abs, relPath);
        continue;
      }
      if (ignored) continue;
      const stat = await fs.lstat(abs);
      if (stat.isSymbolicLink()) {
        out.push({ name: relPath, source: abs, type: 'symlink', mode: 0o777, size: 0, mtime: stat.mtime, linkname: await fs.readlink(abs) });
      } else if (stat.isFile()) {
        const executable = (stat.mode & 0o111) !== 0;
        out.push({ name: relPath, source: abs, type: 'file', mode: executable ? 0o755 : 0o644, size: stat.size, mtime: stat.mtime });
      }
      // sockets, FIFOs and devices are not part of a model
    }
  }
  await walk(folder, '');
  return out;
}

/** Everything the context holds, in tar order. Throws when the runtime is missing. */
export async function contextFiles(input: BuildContextInput): Promise<ContextFile[]> {
  const now = new Date(0);
  const runtimePkg = path.join(input.runtimeDir, 'pyml');
  try {
    await fs.access(path.join(runtimePkg, '__init__.py'));
  } catch {
    throw new Error(`the PyML runtime is missing: no ${path.join(runtimePkg, '__init__.py')}`);
  }
  const files: ContextFile[] = [];
  const dockerfile = Buffer.from(input.dockerfile, 'utf8');
  files.push({ name: 'Dockerfile', content: dockerfile, type: 'file', mode: 0o644, size: dockerfile.length, mtime: now });
  const runtimeReq = path.join(input.runtimeDir, 'requirements.txt');
  const reqStat = await fs.stat(runtimeReq).catch(() => undefined);
  if (reqStat?.isFile()) {
    files.push({ name: 'runtime/requirements.txt', source: runtimeReq, type: 'file', mode: 0o644, size: reqStat.size, mtime: reqStat.mtime });
  }
  for (const f of await listFiles(runtimePkg, DEFAULT_IGNORES)) files.push({ ...f, name: `runtime/pyml/${f.name}` });
  for (const f of await listFiles(input.modelFolder, await ignorePatterns(input.modelFolder))) files.push({ ...f, name: `model/${f.name}` });
  return files;
}

/** A tar stream of the files; errors reading a file destroy the stream with that error. */
export function packContext(files: readonly ContextFile[]): Readable {
  const pack = tar.pack();
  void (async () => {
    try {
      for (const f of files) await addEntry(pack, f);
      pack.finalize();
    } catch (err) {
      pack.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  })();
  return Readable.from(pack);
}

function addEntry(pack: tar.Pack, f: ContextFile): Promise<void> {
  const header: Omit<tar.Header, 'size' | 'linkname' | 'devmajor' | 'devminor'> = { name: f.name, mode: f.mode, uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: f.mtime, type: f.type };
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error | null): void => {
      if (err) reject(err);
      else resolve();
    };
    if (f.type === 'symlink') {
      pack.entry({ ...header, linkname: f.linkname ?? '', size: 0 }, done);
    } else if (f.content) {
      pack.entry({ ...header, size: f.content.length }, f.content, done);
    } else if (f.source && f.size > STREAM_ABOVE_BYTES) {
      // Large data files are streamed; a file that changes size meanwhile fails the build cleanly.
      const entry = pack.entry({ ...header, size: f.size }, done);
      void copyInto(f.source, entry).catch((err: unknown) => {
        reject(err instanceof Error ? err : new Error(String(err)));
      });
    } else if (f.source) {
      // Small files are read whole: the size in the header is then always right, even mid-edit.
      fs.readFile(f.source).then(
        (content) => pack.entry({ ...header, size: content.length }, content, done),
        (err: unknown) => {
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    } else {
      pack.entry({ ...header, size: 0 }, Buffer.alloc(0), done);
    }
  });
}

async function copyInto(file: string, entry: ReturnType<tar.Pack['entry']>): Promise<void> {
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    if (!entry.write(chunk)) await new Promise<void>((resolve) => entry.once('drain', () => {
      resolve();
    }));
  }
  entry.end(undefined);
}
