import * as vscode from 'vscode';

/** Every PyML setting, read through one typed function. */
export interface PymlConfig {
  readonly dockerHost: string;
  readonly baseImage: string;
  readonly runNetwork: boolean;
  readonly runMemory: string;
  readonly runCpus: number;
  /** Model processes per container; 0: one per core of runCpus. */
  readonly runWorkers: number;
  readonly maxMessageMB: number;
  readonly predictTimeoutSeconds: number;
  readonly reloadOnSave: boolean;
  /** pyml.batch.rowsPerBatch; 0: sized by the input (batch/batchSize.ts). */
  readonly rowsPerBatch: number;
  /** Where PyML: Publish Image pushes (`registry.example.com/team`); '' until set. */
  readonly registry: string;
  /** pyml.sharedMemory.enabled: big requests to local containers through shared memory. */
  readonly sharedMemoryEnabled: boolean;
  /** pyml.sharedMemory.thresholdMB: from this request size on. */
  readonly sharedMemoryThresholdMB: number;
  readonly requestsInFlight: number;
}

/** What a change of each setting requires of the running parts. */
export type SettingEffect = 'none' | 'reconnectDocker' | 'restartContainer';

export const SETTING_EFFECTS: Readonly<Record<string, SettingEffect>> = {
  'pyml.docker.host': 'reconnectDocker',
  'pyml.build.baseImage': 'none',
  'pyml.run.network': 'restartContainer',
  'pyml.run.memory': 'restartContainer',
  'pyml.run.cpus': 'restartContainer',
  'pyml.run.workers': 'restartContainer',
  'pyml.grpc.maxMessageMB': 'restartContainer',
  'pyml.predict.timeoutSeconds': 'none',
  'pyml.devMode.reloadOnSave': 'none',
  'pyml.batch.rowsPerBatch': 'none',
  'pyml.registry': 'none',
  // The region folder is mounted when the container starts; its client keeps the threshold it started with.
  'pyml.sharedMemory.enabled': 'restartContainer',
  'pyml.sharedMemory.thresholdMB': 'restartContainer',
  'pyml.batch.requestsInFlight': 'none',
  // Read by vscode-languageclient itself, which applies a change at once.
  'pyml.welcome.openWalkthrough': 'none',
  'pyml.trace.server': 'none',
  'pyml.debug.justMyCode': 'none',
  'pyml.debug.waitForDebugger': 'none',
};

export function readConfig(scope?: vscode.ConfigurationScope): PymlConfig {
  const c = vscode.workspace.getConfiguration('pyml', scope);
  return {
    dockerHost: c.get<string>('docker.host', '').trim(),
    baseImage: c.get<string>('build.baseImage', 'python:3.13-slim').trim() || 'python:3.13-slim',
    runNetwork: c.get<boolean>('run.network', false),
    runMemory: c.get<string>('run.memory', '2g'),
    runCpus: c.get<number>('run.cpus', 2),
    runWorkers: c.get<number>('run.workers', 0),
    maxMessageMB: c.get<number>('grpc.maxMessageMB', 512),
    predictTimeoutSeconds: c.get<number>('predict.timeoutSeconds', 120),
    reloadOnSave: c.get<boolean>('devMode.reloadOnSave', true),
    rowsPerBatch: c.get<number>('batch.rowsPerBatch', 0),
    registry: c.get<string>('registry', '').trim(),
    sharedMemoryEnabled: c.get<boolean>('sharedMemory.enabled', true),
    sharedMemoryThresholdMB: Math.max(0, c.get<number>('sharedMemory.thresholdMB', 1)),
    requestsInFlight: c.get<number>('batch.requestsInFlight', 4),
  };
}

/** The effects a configuration change asks for, strongest first, without duplicates. */
export function effectsOf(event: vscode.ConfigurationChangeEvent): SettingEffect[] {
  const effects = new Set<SettingEffect>();
  for (const [key, effect] of Object.entries(SETTING_EFFECTS)) {
    if (effect !== 'none' && event.affectsConfiguration(key)) effects.add(effect);
  }
  return [...effects];
}
