import { openPanelCommand } from '../predict/register';
import { lazyHandler, type CommandSpec } from './table';

/**
 * The command table: one row per contributed command. A handler's module loads on the command's
 * first use (its own chunk), so activation only registers the ids.
 */
export const COMMANDS: readonly CommandSpec[] = [
  { id: 'pyml.newModel', title: 'New Model', requires: [], run: lazyHandler(() => import('./newModel'), (m) => m.newModel) },
  { id: 'pyml.buildImage', title: 'Build Image', requires: ['trust'], run: lazyHandler(() => import('./buildImage'), (m) => m.buildCommand) },
  { id: 'pyml.runModel', title: 'Run Model', requires: ['trust'], run: lazyHandler(() => import('./runModel'), (m) => m.runCommand('run')) },
  {
    id: 'pyml.runModelDev',
    title: 'Run Model in Dev Mode',
    requires: ['trust'],
    run: lazyHandler(() => import('./runModel'), (m) => m.runCommand('dev')),
  },
  { id: 'pyml.debugModel', title: 'Debug Model', requires: ['trust'], run: lazyHandler(() => import('./debug'), (m) => m.debugCommand(undefined)) },
  {
    id: 'pyml.debugModelWait',
    title: 'Debug Model, Waiting for the Debugger Before Loading',
    requires: ['trust'],
    run: lazyHandler(() => import('./debug'), (m) => m.debugCommand(true)),
  },
  { id: 'pyml.stopModel', title: 'Stop Model', requires: ['trust'], run: lazyHandler(() => import('./stop'), (m) => m.stopCommand) },
  { id: 'pyml.restartModel', title: 'Restart Model', requires: ['trust'], run: lazyHandler(() => import('./stop'), (m) => m.restartCommand) },
  {
    id: 'pyml.showModelLogs',
    title: 'Show Model Container Logs',
    requires: [],
    run: lazyHandler(() => import('./logs'), (m) => m.showModelLogsCommand),
  },
  {
    id: 'pyml.showBuildLog',
    title: 'Show Build Log',
    requires: [],
    run: lazyHandler(() => import('./buildImage'), (m) => m.showBuildLogCommand),
  },
  {
    id: 'pyml.removeOldImages',
    title: 'Remove Old Images',
    requires: ['trust'],
    run: lazyHandler(() => import('./buildImage'), (m) => m.removeOldImagesCommand),
  },
  {
    id: 'pyml.exportDockerfile',
    title: 'Export Dockerfile',
    requires: [],
    run: lazyHandler(() => import('./exportDockerfile'), (m) => m.exportDockerfileCommand),
  },
  {
    id: 'pyml.retryDocker',
    title: 'Retry Docker Connection',
    requires: [],
    run: lazyHandler(() => import('./stop'), (m) => m.retryDockerCommand),
  },
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
    run: lazyHandler(() => import('./batch'), (m) => m.runBatchCommand),
  },
  {
    id: 'pyml.publishImage',
    title: 'Publish Image',
    requires: ['trust'],
    run: lazyHandler(() => import('./publish'), (m) => m.publishCommand),
  },
  {
    id: 'pyml.runBatchAgain',
    title: 'Run Batch Prediction Again',
    requires: ['trust'],
    run: lazyHandler(() => import('./batch'), (m) => m.runBatchAgainCommand),
  },
  {
    id: 'pyml.previewTable',
    title: 'Preview Table',
    requires: [],
    run: lazyHandler(() => import('./batch'), (m) => m.previewTableCommand),
  },
];
