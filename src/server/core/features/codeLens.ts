import type { Analysis } from '../analyze';
import type { Range } from '../types';

/** What a lens over the model class does; the LSP layer maps each to an extension command. */
export type LensAction = 'build' | 'run' | 'test' | 'debug';

export interface Lens {
  readonly range: Range;
  readonly action: LensAction;
  /** The model folder (absolute path) the action applies to. */
  readonly folder: string;
}

const ACTIONS: readonly LensAction[] = ['build', 'run', 'test', 'debug'];

/** Build · Run · Test · Debug over the class pyml.yaml names. */
export function codeLenses(analysis: Analysis): Lens[] {
  const check = analysis.python;
  if (!check?.target || check.role !== 'model') return [];
  const range = check.range(check.target.nameNode);
  return ACTIONS.map((action) => ({ range, action, folder: check.ctx.root }));
}
