/** The models a window tracks, and how work reports its progress: shared by the manager and dev mode. */
import type { ModelContainer } from './modelContainer';

export type ModelStatus = 'starting' | 'ready' | 'reloading' | 'reload-failed' | 'exited';

/** A model container this window knows about. */
export interface RunningModel {
  readonly folder: string;
  readonly container: ModelContainer;
  status: ModelStatus;
  /** Why the status is what it is (the reload error, the exit code). */
  detail?: string;
  readonly logs: AbortController;
}

/** How a command reports progress (a notification, a task terminal). */
export interface ProgressSink {
  report(message: string, increment?: number): void;
  /** Every line of the build output (a task terminal shows them). */
  line?(text: string): void;
}
