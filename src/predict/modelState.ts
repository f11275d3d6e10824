/**
 * What the panel says about the model it is connected to, from the models the window tracks: running,
 * restarting, reloading in dev mode, "reloaded" once a dev-mode reload is done, a failed reload (the
 * old model keeps serving), stopped. Plain functions over data (the panel feeds the container
 * manager's models in, on every change).
 */
import type { ModelState } from '../shared/panelMessages';

/** A model container as the panel needs to know it. */
export interface TrackedModel {
  readonly folder: string;
  readonly address: string;
  readonly modelName: string;
  /** The container manager's status: starting, ready, reloading, reload-failed, exited. */
  readonly status: string;
  readonly detail?: string;
}

export interface Followed {
  readonly state: ModelState;
  /** The container now serving the target's model (its address may be new after a restart). */
  readonly model?: TrackedModel;
}

/**
 * The state of the panel's target among `models`, given the state said before (undefined: none).
 * A target that matches no tracked container is `stopped` when it did match one before or names a
 * model folder; an address of a server this window does not run gets no state (undefined).
 */
export function followModel(
  models: readonly TrackedModel[],
  target: { readonly address: string; readonly folder?: string; readonly model?: string },
  previous: ModelState | undefined,
  now = new Date(),
): Followed | undefined {
  const model = models.find((m) => m.address === target.address) ?? (target.folder ? models.find((m) => samePath(m.folder, target.folder ?? '')) : undefined);
  const name = model?.modelName ?? target.model ?? 'The model';
  if (!model) {
    if (previous === undefined && !target.folder) return undefined;
    return { state: { state: 'stopped', text: `${name} is stopped: run it again to send requests.` } };
  }
  switch (model.status) {
    case 'exited':
      return { state: { state: 'stopped', text: `${name} stopped${model.detail ? ` (${model.detail})` : ''}: run it again to send requests.` }, model };
    case 'starting':
      return { state: { state: 'starting', text: `${name} is starting…` }, model };
    case 'reloading':
      return { state: { state: 'reloading', text: `${name} is reloading (dev mode)…` }, model };
    case 'reload-failed':
      return { state: { state: 'reload-failed', text: `The reload of ${name} failed; the previous model keeps serving${model.detail ? `: ${model.detail}` : '.'}` }, model };
    default:
      if (previous?.state === 'reloaded') return { state: previous, model };
      if (previous?.state === 'reloading') return { state: { state: 'reloaded', text: `${name} reloaded at ${clock(now)} (dev mode: saved changes are live).` }, model };
      return { state: { state: 'running', text: `${name} is running.` }, model };
  }
}

function clock(d: Date): string {
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

function samePath(a: string, b: string): boolean {
  return a.replace(/[\\/]+$/, '') === b.replace(/[\\/]+$/, '');
}
