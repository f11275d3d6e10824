import { runBatchCommand } from './batch';
import { buildCommand } from './build';
import { exportDockerfileCommand } from './exportDockerfile';
import { newModel } from './newModel';
import { runCommand } from './run';
import { restartCommand, retryDockerCommand, showModelLogsCommand, stopCommand } from './stop';
import { openPanelCommand } from '../predict/register';
import type { CommandSpec } from './table';

/** The command table: one row per contributed command. */
export const COMMANDS: readonly CommandSpec[] = [
  { id: 'pyml.newModel', title: 'New Model', requires: [], run: newModel },
  { id: 'pyml.buildImage', title: 'Build Image', requires: ['trust'], run: buildCommand },
  { id: 'pyml.runModel', title: 'Run Model', requires: ['trust'], run: runCommand('run') },
  {
    id: 'pyml.runModelDev',
    title: 'Run Model in Dev Mode',
    requires: ['trust'],
    run: runCommand('dev'),
  },
  { id: 'pyml.stopModel', title: 'Stop Model', requires: ['trust'], run: stopCommand },
  { id: 'pyml.restartModel', title: 'Restart Model', requires: ['trust'], run: restartCommand },
  { id: 'pyml.showModelLogs', title: 'Show Model Container Logs', requires: [], run: showModelLogsCommand },
  { id: 'pyml.exportDockerfile', title: 'Export Dockerfile', requires: [], run: exportDockerfileCommand },
  { id: 'pyml.retryDocker', title: 'Retry Docker Connection', requires: [], run: retryDockerCommand },
  {
    id: 'pyml.showLogs',
    title: 'Show Logs',
    requires: [],
    run: (ctx) => {
      ctx.log.show();
      return Promise.resolve();
    },
  },
  {
    id: 'pyml.openPanel',
    title: 'Open Test Prediction Panel',
    requires: ['trust'],
    run: openPanelCommand,
  },
  {
    id: 'pyml.runBatch',
    title: 'Run Batch Prediction',
    requires: ['trust'],
    run: runBatchCommand,
  },
];
