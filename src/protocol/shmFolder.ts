/**
 * The host folder that holds a model container's shared-memory regions (Triton's system
 * shared-memory extension, see shmChannel.ts): one folder per container under the host's /dev/shm,
 * bind-mounted into that container only, at SHM_CONTAINER_DIR, which the runtime learns from the
 * PYML_SHM_DIR environment variable.
 *
 *   /dev/shm/pyml-<uid>/            0700, ours (not a symlink)
 *   /dev/shm/pyml-<uid>/<id>-<n>/        0700, owned by the user the container runs as
 *   /dev/shm/pyml-<uid>/<id>-<n>/<key>   0600 region files, created by the extension
 *
 * <id> is the container's socket key (the model folder's id, or a batch job's), <n> random: a new
 * container never shares a folder with an old one whose exit is still being cleaned up. The folder
 * is removed when the container stops (ModelContainer); the folders of earlier containers of the
 * same id (left behind when the container stopped while no window watched it) when it starts.
 */
import { randomBytes } from 'crypto';
import { promises as fs, constants as fsConstants } from 'fs';
import * as path from 'path';

/** Where the host keeps shared memory (a tmpfs on Linux). */
export const HOST_SHM_ROOT = '/dev/shm';
/** The container's end of the bind-mounted region folder. */
export const SHM_CONTAINER_DIR = '/run/pyml-shm';
/** The environment variable that tells the runtime where its region folder is. */
export const SHM_DIR_ENV = 'PYML_SHM_DIR';

/** Whether this host has shared memory to offer containers: Linux with a /dev/shm folder. */
export async function hostSharedMemory(platform: NodeJS.Platform = process.platform, root = HOST_SHM_ROOT): Promise<boolean> {
  if (platform !== 'linux') return false;
  try {
    await fs.access(root, fsConstants.W_OK);
    return (await fs.stat(root)).isDirectory();
  } catch {
    return false;
  }
}

/** The folder that holds a user's region folders (pure). */
export function shmBase(uid: number, root = HOST_SHM_ROOT): string {
  return path.join(root, `pyml-${uid}`);
}

/**
 * Creates the base folder (0700, ours, not a symlink) and a new region folder for a container of
 * `id` (0700, owned by `owner`), after removing the folders of earlier containers of that id.
 * Returns the new folder.
 */
export async function prepareShmFolder(base: string, id: string, owner: { uid: number; gid: number }, hostUid: number): Promise<string> {
  if (!/^[A-Za-z0-9_.-]+$/.test(id) || id.startsWith('.')) throw new Error(`'${id}' cannot name a shared-memory folder`);
  await fs.mkdir(base, { recursive: true, mode: 0o700 });
  const stat = await fs.lstat(base);
  if (!stat.isDirectory() || stat.isSymbolicLink()) throw new Error(`${base} is not a folder; remove it so PyML can keep its shared memory there`);
  if (stat.uid !== hostUid) throw new Error(`${base} belongs to uid ${stat.uid}, not to you (uid ${hostUid}); remove it so PyML can create its own`);
  if ((stat.mode & 0o077) !== 0) await fs.chmod(base, 0o700);
  for (const entry of await fs.readdir(base)) {
    if (entry.startsWith(`${id}-`) && /^[0-9a-f]{8}$/.test(entry.slice(id.length + 1))) await removeShmFolder(path.join(base, entry));
  }
  const dir = path.join(base, `${id}-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(dir, { mode: 0o700 });
  if (owner.uid !== hostUid) await fs.chown(dir, owner.uid, owner.gid);
  return dir;
}

export async function removeShmFolder(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}
