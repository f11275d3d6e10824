/**
 * The shared-memory folders of the servers this extension started on this machine, by gRPC address
 * (as V2Client.address normalizes it): the container layer records a model container's region folder
 * while it tracks the container, so that every V2Client on that address (the panel, batch, the Test
 * Explorer) sends big requests through shared memory without being told.
 */
import type { SharedMemoryOptions } from './shmChannel';

const folders = new Map<string, SharedMemoryOptions>();

export function rememberSharedMemory(address: string, options: SharedMemoryOptions): void {
  folders.set(address, options);
}

/** Forgets an address's folder (only that folder when `dir` is given: a newer container may own the address). */
export function forgetSharedMemory(address: string, dir?: string): void {
  if (dir === undefined || folders.get(address)?.dir === dir) folders.delete(address);
}

export function sharedMemoryOf(address: string): SharedMemoryOptions | undefined {
  return folders.get(address);
}
