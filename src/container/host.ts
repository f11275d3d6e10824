/**
 * What the container layer needs of the extension: a log, the settings it runs with, and the
 * extension's own files. The extension's context (ctx.ts) provides it; tests can provide their own.
 * No dialogs: the manager reports what happened through events, and src/commands/ asks the user.
 */
import type { PymlConfig } from '../config';

export interface ContainerLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface ContainerHost {
  readonly log: ContainerLog;
  /** The current settings (read again after each change). */
  readonly config: Pick<PymlConfig, 'dockerHost' | 'baseImage' | 'maxMessageMB' | 'runNetwork' | 'runMemory' | 'runCpus' | 'runWorkers' | 'reloadOnSave' | 'sharedMemoryEnabled' | 'sharedMemoryThresholdMB'>;
  /** Absolute path of a file shipped inside the extension (runtime/ ...). */
  asAbsolutePath(relative: string): string;
}
