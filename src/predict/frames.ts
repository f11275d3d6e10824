/**
 * Traceback frames of a model error mapped to files on this machine, so each frame in the model's
 * folder becomes a link. The runtime reports frames in the model folder relative to it; a frame
 * with an absolute path inside the image's model folder (/opt/pyml/model) maps there too; any other
 * absolute path is linked only when that file exists here (a server started on this machine).
 */
import { existsSync } from 'fs';
import * as path from 'path';
import { IMAGE_PATHS } from '../container/labels';
import type { ModelErrorFrame } from '../protocol/modelError';
import type { Frame } from '../shared/panelMessages';

export interface MappedFrames {
  readonly frames: Frame[];
  /** Frame file (as shown) -> host path: the only files `openFrame` may open. */
  readonly links: ReadonlyMap<string, string>;
}

export function mapFrames(frames: readonly ModelErrorFrame[], modelFolder: string | undefined, exists: (file: string) => boolean = existsSync): MappedFrames {
  const links = new Map<string, string>();
  const out = frames.map((f): Frame => {
    const host = hostPath(f, modelFolder, exists);
    if (host) links.set(f.file, host);
    return { file: f.file, line: f.line, function: f.function, code: f.code, inModel: f.inModel, linked: host !== undefined };
  });
  return { frames: out, links };
}

function hostPath(f: ModelErrorFrame, folder: string | undefined, exists: (file: string) => boolean): string | undefined {
  if (!f.file || f.file.startsWith('<')) return undefined;
  const posix = f.file.replace(/\\/g, '/');
  if (folder) {
    let relative: string | undefined;
    if (!path.posix.isAbsolute(posix) && !/^[A-Za-z]:/.test(posix)) relative = posix;
    else if (posix.startsWith(`${IMAGE_PATHS.model}/`)) relative = posix.slice(IMAGE_PATHS.model.length + 1);
    if (relative !== undefined) {
      const candidate = path.resolve(folder, ...relative.split('/'));
      const inside = candidate === path.resolve(folder) || candidate.startsWith(path.resolve(folder) + path.sep);
      if (inside && exists(candidate)) return candidate;
      return undefined;
    }
  }
  return path.isAbsolute(f.file) && exists(f.file) ? f.file : undefined;
}
