/** The failures of a cluster job, each saying what is wrong and where. */
import type { ModelErrorReport } from '../protocol/modelError';

/** The cluster cannot run the job: unreachable scheduler, no workers, a refused worker, a bad input. */
export class ClusterError extends Error {
  override readonly name = 'ClusterError';
}

/**
 * A partition failed: which one, its rows, the input file, and the model's report (its traceback
 * frames link to model.py). Nothing was written.
 */
export class PartitionFailedError extends Error {
  override readonly name = 'PartitionFailedError';
  constructor(
    message: string,
    readonly partition: number,
    readonly rows: string,
    readonly path: string | undefined,
    /** Carries the report the way a batch failure does: `cause.report`. */
    override readonly cause: { readonly report: ModelErrorReport | undefined },
  ) {
    super(message);
  }
}

/** The user cancelled: tasks cancelled, temporary output removed. */
export class ClusterCancelledError extends Error {
  override readonly name = 'BatchCancelledError';
  constructor(readonly partitionsDone: number) {
    super(`Cluster batch prediction cancelled after ${partitionsDone} partition${partitionsDone === 1 ? '' : 's'}; no dataset was written.`);
  }
}
