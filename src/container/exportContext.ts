/**
 * Export Dockerfile: a folder that plain `docker build` builds, anywhere, without the extension:
 *   Dockerfile      the whole generated Dockerfile (the same steps as the extension's two images)
 *   .dockerignore   caches that appear when the model runs locally
 *   runtime/        the PyML runtime (requirements.txt, pyml/)
 *   model-data/     the model's data files (when it has data): a layer of their own, below the code
 *   model/          the rest of the model folder (its .dockerignore applied)
 * and the exact command that builds it. Pure file work: no Docker, no VS Code.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { contextFiles, writeContext } from './buildContext';
import type { PreparedBuild } from './imageBuild';

/** A file that marks a folder as an export, so exporting again may replace it. */
export const EXPORT_MARKER = '.pyml-export';

const DOCKERIGNORE = `# Written by PyML's Export Dockerfile: files that appear when the model runs locally.
**/__pycache__
**/*.pyc
**/.ipynb_checkpoints
**/.DS_Store
${EXPORT_MARKER}
`;

export interface ExportedContext {
  readonly folder: string;
  /** The command that builds it, exactly as to type it in a shell. */
  readonly command: string;
  readonly files: number;
  readonly bytes: number;
}

export class ExportError extends Error {
  override readonly name = 'ExportError';
}

/** Writes the build context of a prepared (for export) build into `target`, replacing an earlier export there. */
export async function exportBuildContext(prepared: PreparedBuild, runtimeDir: string, target: string): Promise<ExportedContext> {
  const folder = path.resolve(target);
  const model = path.resolve(prepared.folder);
  if (folder === model || folder.startsWith(model + path.sep)) {
    throw new ExportError(`${folder} is inside the model folder ${model}: the next build would send it. Choose a folder outside it.`);
  }
  if (model.startsWith(folder + path.sep)) throw new ExportError(`${folder} holds the model folder ${model}: choose an empty or new folder.`);
  const entries = await fs.readdir(folder).catch(() => undefined);
  if (entries && entries.length > 0) {
    if (!entries.includes(EXPORT_MARKER)) throw new ExportError(`${folder} is not empty and is not an earlier export: choose an empty or new folder.`);
    await fs.rm(folder, { recursive: true, force: true });
  }
  const files = await contextFiles({ dockerfile: prepared.dockerfile.text, modelFolder: model, runtimeDir, stage: 'whole' });
  await fs.mkdir(folder, { recursive: true });
  await writeContext(files, folder);
  await fs.writeFile(path.join(folder, '.dockerignore'), DOCKERIGNORE);
  const command = buildCommand(prepared.tag, folder);
  await fs.writeFile(path.join(folder, EXPORT_MARKER), `Exported by PyML for VS Code from ${model}.\nBuild: ${command}\n`);
  return { folder, command, files: files.length, bytes: files.reduce((n, f) => n + f.size, 0) };
}

/** `docker build -t TAG FOLDER`, the folder quoted for a POSIX shell when it needs it. */
export function buildCommand(tag: string, folder: string): string {
  return `docker build -t ${shellQuote(tag)} ${shellQuote(folder)}`;
}

export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
