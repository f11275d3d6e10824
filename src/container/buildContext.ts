/**
 * The build context of a model image, as a tar stream (the layout dockerfile.ts expects):
 *   Dockerfile, runtime/requirements.txt, runtime/pyml/**, model-data/** (the model's data files),
 *   model/** (the rest of the model folder; its .dockerignore applied).
 * Entries are owned by root with normalised modes, so a layer's cache key depends on content only.
 *
 * A model's data is `data/` and any file of DATA_FILE_BYTES or more. The build sends it in a stage
 * of its own (`stage: 'data'`), and the code in another (`stage: 'code'`); `dataKey` names the data
 * stage by content, reading the data files only when their sizes or times changed.
 */
import dockerignore from '@balena/dockerignore';
import { createHash } from 'crypto';
import { constants as fsConstants, createReadStream, promises as fs } from 'fs';
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

/** Files of this size or more are data wherever they are in the model folder. */
export const DATA_FILE_BYTES = 1024 * 1024;

/** The files the Dockerfile copies by name: never data. */
const NEVER_DATA = new Set(['pyml.yaml', 'requirements.txt', 'packages.txt', '.dockerignore']);

/**
 * Which build the context is for: `whole` (the one-file Dockerfile: everything), `data` (the data
 * image: runtime, requirements.txt and the data), `code` (the code image: the model's code only).
 */
export type ContextStage = 'whole' | 'data' | 'code';

export interface BuildContextInput {
  readonly dockerfile: string;
  readonly modelFolder: string;
  /** The folder holding the runtime's `requirements.txt` and `pyml/`. */
  readonly runtimeDir: string;
  /** `whole` when absent. */
  readonly stage?: ContextStage;
}

/** Whether a model folder file (path relative to it) is data: under data/, or large. */
export function isDataFile(file: Pick<ContextFile, 'name' | 'size' | 'type'>): boolean {
  if (file.type !== 'file' || NEVER_DATA.has(file.name)) return false;
  return file.name.startsWith('data/') || file.size >= DATA_FILE_BYTES;
}

/** The model folder's files (ignores applied), split into data and code. */
export async function modelFiles(folder: string): Promise<{ data: ContextFile[]; code: ContextFile[] }> {
  const files = await listFiles(folder, await ignorePatterns(folder));
  return { data: files.filter(isDataFile), code: files.filter((f) => !isDataFile(f)) };
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
  const stage = input.stage ?? 'whole';
  const files: ContextFile[] = [];
  const dockerfile = Buffer.from(input.dockerfile, 'utf8');
  files.push({ name: 'Dockerfile', content: dockerfile, type: 'file', mode: 0o644, size: dockerfile.length, mtime: new Date(0) });
  if (stage !== 'code') files.push(...(await runtimeFiles(input.runtimeDir)));
  const model = await modelFiles(input.modelFolder);
  if (stage !== 'code') for (const f of model.data) files.push({ ...f, name: `model-data/${f.name}` });
  const code = stage === 'data' ? model.code.filter((f) => f.name === 'requirements.txt') : model.code;
  for (const f of code) files.push({ ...f, name: `model/${f.name}` });
  return files;
}

/** runtime/requirements.txt and runtime/pyml/**; throws when the runtime is missing. */
async function runtimeFiles(runtimeDir: string): Promise<ContextFile[]> {
  const runtimePkg = path.join(runtimeDir, 'pyml');
  try {
    await fs.access(path.join(runtimePkg, '__init__.py'));
  } catch {
    throw new Error(`the PyML runtime is missing: no ${path.join(runtimePkg, '__init__.py')}`);
  }
  const files: ContextFile[] = [];
  const runtimeReq = path.join(runtimeDir, 'requirements.txt');
  const reqStat = await fs.stat(runtimeReq).catch(() => undefined);
  if (reqStat?.isFile()) {
    files.push({ name: 'runtime/requirements.txt', source: runtimeReq, type: 'file', mode: 0o644, size: reqStat.size, mtime: reqStat.mtime });
  }
  for (const f of await listFiles(runtimePkg, DEFAULT_IGNORES)) files.push({ ...f, name: `runtime/pyml/${f.name}` });
  return files;
}

/** What names a data image: its content key, and the stamp (names, sizes, times) it was read at. */
export interface DataKey {
  /** Hash of the data stage: its Dockerfile, the runtime, requirements.txt and every data file's content. */
  readonly key: string;
  /** Hash of the data files' names, sizes, modes and modification times (cheap to compute). */
  readonly stamp: string;
  /** Bytes of data. */
  readonly bytes: number;
  readonly files: number;
}

/** Content hashes of data files by stamp: a data file is read again only when its stamp changes. */
const contentByStamp = new Map<string, string>();

/**
 * The key of a data stage context (the files of `contextFiles(..., stage: 'data')`). Data files are
 * hashed by content once per stamp (`known` can give the content hash of a stamp found on an image
 * label); the other files (runtime, requirements.txt: small) are hashed every time.
 */
export async function dataKey(files: readonly ContextFile[], known?: (stamp: string) => Promise<string | undefined>): Promise<DataKey & { readonly content: string }> {
  const data = files.filter((f) => f.name.startsWith('model-data/'));
  const stamp = hashLines(data.map((f) => `${f.name}\0${f.type}\0${f.mode}\0${f.size}\0${f.mtime.getTime()}\0${f.linkname ?? ''}`));
  let content = contentByStamp.get(stamp) ?? (await known?.(stamp));
  if (!content) {
    const lines: string[] = [];
    for (const f of data) lines.push(`${f.name}\0${f.type}\0${f.mode}\0${f.linkname ?? (await fileHash(f))}`);
    content = hashLines(lines);
  }
  contentByStamp.set(stamp, content);
  const rest: string[] = [];
  for (const f of files) if (!f.name.startsWith('model-data/')) rest.push(`${f.name}\0${f.type}\0${f.mode}\0${f.linkname ?? (await fileHash(f))}`);
  const key = hashLines([...rest, `data\0${content}`]);
  return { key, stamp, content, bytes: data.reduce((n, f) => n + f.size, 0), files: data.length };
}

function hashLines(lines: readonly string[]): string {
  const hash = createHash('sha256');
  for (const l of lines) hash.update(l).update('\n');
  return hash.digest('hex');
}

async function fileHash(f: ContextFile): Promise<string> {
  const hash = createHash('sha256');
  if (f.content) return hash.update(f.content).digest('hex');
  if (!f.source) return hash.digest('hex');
  for await (const chunk of createReadStream(f.source) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

/**
 * Writes the context's files into a folder (Export Dockerfile): a context plain `docker build`
 * builds. Data files are cloned where the file system can (copy-on-write), copied otherwise.
 */
export async function writeContext(files: readonly ContextFile[], target: string): Promise<void> {
  for (const f of files) {
    const to = path.join(target, ...f.name.split('/'));
    await fs.mkdir(path.dirname(to), { recursive: true });
    if (f.type === 'symlink') {
      await fs.rm(to, { force: true });
      await fs.symlink(f.linkname ?? '', to);
    } else if (f.type === 'file') {
      if (f.content) await fs.writeFile(to, f.content);
      else if (f.source) await fs.copyFile(f.source, to, fsConstants.COPYFILE_FICLONE);
      await fs.chmod(to, f.mode);
    }
  }
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
