/**
 * The host folder that holds a model container's gRPC socket. It is bind-mounted into the container
 * and must be short: a Unix socket path has at most 107 bytes on Linux (108 with the NUL).
 *
 *   $XDG_RUNTIME_DIR/pyml/<id>/model.sock   when XDG_RUNTIME_DIR is set (per-user, mode 0700 already)
 *   /tmp/pyml-<uid>/<id>/model.sock         otherwise; the base folder is created 0700 and must be ours
 *
 * The <id> folder is owned by the user the container runs as (the host user; with a root host user
 * the image's non-root user), mode 0700, so the socket belongs to that user and nobody else's.
 */
import { promises as fs } from 'fs';
import * as path from 'path';

export const MAX_SOCKET_PATH_BYTES = 107;
export const SOCKET_FILE = 'model.sock';

export interface SocketLocation {
  /** The folder bind-mounted into the container. */
  readonly dir: string;
  /** The socket file on the host. */
  readonly socket: string;
}

/** Where socket folders go for this user (pure). */
export function socketBaseDir(env: Readonly<Record<string, string | undefined>>, uid: number, tmp = '/tmp'): string {
  const runtimeDir = env['XDG_RUNTIME_DIR']?.trim();
  const fallback = path.join(tmp, `pyml-${uid}`);
  if (!runtimeDir || !path.isAbsolute(runtimeDir)) return fallback;
  const preferred = path.join(runtimeDir, 'pyml');
  // Leave room for "/<id>/model.sock".
  return Buffer.byteLength(preferred) + 32 <= MAX_SOCKET_PATH_BYTES ? preferred : fallback;
}

/** The socket folder of a container id; throws when the path would not fit a Unix socket. */
export function socketLocation(baseDir: string, id: string): SocketLocation {
  const dir = path.join(baseDir, id);
  const socket = path.join(dir, SOCKET_FILE);
  const bytes = Buffer.byteLength(socket);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new Error(`the socket path ${socket} is ${bytes} bytes, over the ${MAX_SOCKET_PATH_BYTES}-byte limit of Unix sockets; set TMPDIR or XDG_RUNTIME_DIR to a shorter folder`);
  }
  return { dir, socket };
}

/** Who owns the socket folder: the user the container runs as. */
export interface FolderOwner {
  readonly uid: number;
  readonly gid: number;
}

/**
 * Creates the base folder (0700, ours, not a symlink) and the container's own folder (0700, owned
 * by `owner`), and removes a socket left behind by an earlier container.
 */
export async function prepareSocketDir(location: SocketLocation, owner: FolderOwner, hostUid: number): Promise<void> {
  const base = path.dirname(location.dir);
  await fs.mkdir(base, { recursive: true, mode: 0o700 });
  const stat = await fs.lstat(base);
  if (!stat.isDirectory() || stat.isSymbolicLink()) throw new Error(`${base} is not a folder; remove it so PyML can create its socket folder`);
  if (stat.uid !== hostUid) throw new Error(`${base} belongs to uid ${stat.uid}, not to you (uid ${hostUid}); remove it so PyML can create its own`);
  if ((stat.mode & 0o077) !== 0) await fs.chmod(base, 0o700);
  await fs.rm(location.dir, { recursive: true, force: true });
  await fs.mkdir(location.dir, { mode: 0o700 });
  if (owner.uid !== hostUid) await fs.chown(location.dir, owner.uid, owner.gid);
}

export async function removeSocketDir(location: Pick<SocketLocation, 'dir'>): Promise<void> {
  await fs.rm(location.dir, { recursive: true, force: true });
}
