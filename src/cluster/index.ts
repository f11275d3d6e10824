/** Batch prediction on a Dask cluster (docs/cluster.md): loaded on first use, never at activation. */
export { parseSchedulerAddress, probeScheduler, type SchedulerAddress } from './address';
export { ClusterCancelledError, ClusterError, PartitionFailedError } from './clusterErrors';
export { runDriver, driverArgs, type DriverJob } from './driver';
export { parseDriverEvent, type DriverEvent } from './events';
export { runClusterJob, removeTemporaryOutput, type ClusterJobRequest, type ClusterJobResult, type ClusterProgress, type Where } from './job';
export { CLUSTER_LABEL, removeLeftoverClusters, startLocalCluster, type LocalCluster } from './localCluster';
