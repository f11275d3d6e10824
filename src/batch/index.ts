/**
 * Offline batch prediction, as the command uses it (loaded on first use, in a chunk of its own):
 * open the input, check it against the model, start a container of the model's image, run.
 */
export { rowsPerBatchFor } from './batchSize';
export { checkImage, containerPredictor, startBatchContainer } from './container';
export { DuckDbMissingError, installCommand, loadDuckDb } from './duckdb';
export { InputError } from '../tables/errors';
export { INPUT_EXTENSIONS, inputFormatOf } from '../tables';
export { BatchCancelledError, BatchFailedError, SchemaMismatchError, describeRows } from './batchErrors';
export { openSource, type InputSpec } from './readers';
export { checkInput, runBatch, type BatchProgress, type BatchResult } from './run';
export { runInContainerThread } from './thread/runInThread';
export { OUTPUT_EXTENSIONS, outputFormatOf, type OutputFormat } from './writers/sink';
