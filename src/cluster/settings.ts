/** The `pyml.cluster.*` settings, read through one typed function. */
import * as vscode from 'vscode';

export interface ClusterSettings {
  /** Worker containers of a local cluster. */
  readonly workers: number;
  readonly threadsPerWorker: number;
  /** An existing cluster's scheduler: `tcp://host:8786` or `tls://host:8786` ('' when unset). */
  readonly schedulerAddress: string;
  readonly tls: { readonly caFile: string; readonly certFile: string; readonly keyFile: string };
  /** Input files larger than this are split into byte-range partitions. */
  readonly partitionMB: number;
}

export function readClusterSettings(scope?: vscode.ConfigurationScope): ClusterSettings {
  const c = vscode.workspace.getConfiguration('pyml.cluster', scope);
  return {
    workers: Math.max(1, Math.floor(c.get<number>('workers', 2))),
    threadsPerWorker: Math.max(1, Math.floor(c.get<number>('threadsPerWorker', 1))),
    schedulerAddress: c.get<string>('schedulerAddress', '').trim(),
    tls: {
      caFile: c.get<string>('tls.caFile', '').trim(),
      certFile: c.get<string>('tls.certFile', '').trim(),
      keyFile: c.get<string>('tls.keyFile', '').trim(),
    },
    partitionMB: Math.max(1, c.get<number>('partitionMB', 64)),
  };
}
