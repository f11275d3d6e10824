/**
 * How many rows go to the model per request when `pyml.batch.rowsPerBatch` is 0 (its default): about
 * AUTO_BATCH_BYTES of model input, so narrow tables go in big batches (per-request costs, gRPC's and
 * the model's, are paid on many rows) and wide ones in small batches (memory stays bounded: each
 * request in flight holds one batch, in and out).
 */
import * as arrow from 'apache-arrow';
import type { ColumnRead } from '../tables/fields';

export const AUTO_BATCH_BYTES = 4 * 2 ** 20;
export const AUTO_MIN_ROWS = 1000;
export const AUTO_MAX_ROWS = 1_000_000;
/** What a text or binary value is taken to weigh before any is read. */
const VARIABLE_WIDTH_BYTES = 32;

/** Bytes one value of the column takes in a request (an estimate for text and binary). */
export function valueBytes(column: ColumnRead): number {
  const type = column.type;
  if (column.asText || arrow.DataType.isUtf8(type) || arrow.DataType.isBinary(type)) return VARIABLE_WIDTH_BYTES;
  if (arrow.DataType.isFloat(type)) return type.precision === arrow.Precision.HALF ? 2 : type.precision === arrow.Precision.SINGLE ? 4 : 8;
  if (arrow.DataType.isInt(type)) return type.bitWidth / 8;
  if (arrow.DataType.isBool(type)) return 1;
  return 8;
}

/** AUTO_BATCH_BYTES of the model's inputs, in whole rows, within [AUTO_MIN_ROWS, AUTO_MAX_ROWS]. */
export function autoRowsPerBatch(inputs: readonly ColumnRead[]): number {
  const rowBytes = inputs.reduce((sum, c) => sum + valueBytes(c), 0);
  const rows = rowBytes > 0 ? Math.floor(AUTO_BATCH_BYTES / rowBytes) : AUTO_MAX_ROWS;
  return Math.min(AUTO_MAX_ROWS, Math.max(AUTO_MIN_ROWS, rows));
}

/** The setting's value when it names a count (>= 1); otherwise (0, unset) the automatic size. */
export function rowsPerBatchFor(setting: number | undefined, inputs: readonly ColumnRead[]): number {
  return setting !== undefined && Number.isSafeInteger(setting) && setting >= 1 ? setting : autoRowsPerBatch(inputs);
}
