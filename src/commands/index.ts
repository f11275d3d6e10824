import type { CommandSpec } from './table';
import { notYetAvailable } from './table';

/** The command table: one row per contributed command. */
export const COMMANDS: readonly CommandSpec[] = [
  { id: 'pyml.newModel', title: 'New Model', requires: [], run: notYetAvailable('New Model') },
  { id: 'pyml.buildImage', title: 'Build Image', requires: ['trust'], run: notYetAvailable('Build Image') },
  { id: 'pyml.runModel', title: 'Run Model', requires: ['trust'], run: notYetAvailable('Run Model') },
  {
    id: 'pyml.runModelDev',
    title: 'Run Model in Dev Mode',
    requires: ['trust'],
    run: notYetAvailable('Run Model in Dev Mode'),
  },
  { id: 'pyml.stopModel', title: 'Stop Model', requires: ['trust'], run: notYetAvailable('Stop Model') },
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
    run: notYetAvailable('Open Test Prediction Panel'),
  },
  {
    id: 'pyml.runBatch',
    title: 'Run Batch Prediction',
    requires: ['trust'],
    run: notYetAvailable('Run Batch Prediction'),
  },
];
