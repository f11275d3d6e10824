import * as assert from 'assert';
import * as arrow from 'apache-arrow';
import { AUTO_MAX_ROWS, AUTO_MIN_ROWS, autoRowsPerBatch, rowsPerBatchFor } from '../../../src/batch/batchSize';
import type { ColumnRead } from '../../../src/tables/fields';

const f64 = (name: string): ColumnRead => ({ name, type: new arrow.Float64() });

describe('batch size (pyml.batch.rowsPerBatch 0: about 4 MiB of input per request)', () => {
  it('8 float64 columns go 65,536 rows at a time', () => {
    assert.strictEqual(autoRowsPerBatch('abcdefgh'.split('').map(f64)), 65_536);
  });

  it('narrow inputs stop at the most rows, wide ones at the fewest', () => {
    assert.strictEqual(autoRowsPerBatch([{ name: 'flag', type: new arrow.Bool() }]), AUTO_MAX_ROWS);
    const wide = Array.from({ length: 5000 }, (_, i) => f64(`x${i}`));
    assert.strictEqual(autoRowsPerBatch(wide), AUTO_MIN_ROWS);
  });

  it('weighs each type by its width, text by an estimate', () => {
    const mixed: ColumnRead[] = [
      { name: 'i32', type: new arrow.Int32() },
      { name: 'f32', type: new arrow.Float32() },
      { name: 'text', type: new arrow.Utf8() },
      { name: 'date', type: new arrow.Float64(), asText: true },
    ];
    assert.strictEqual(autoRowsPerBatch(mixed), Math.floor((4 * 2 ** 20) / (4 + 4 + 32 + 32)));
  });

  it('a count in the setting wins; 0 or no setting means automatic', () => {
    const inputs = [f64('a')];
    assert.strictEqual(rowsPerBatchFor(2000, inputs), 2000);
    assert.strictEqual(rowsPerBatchFor(0, inputs), autoRowsPerBatch(inputs));
    assert.strictEqual(rowsPerBatchFor(undefined, inputs), autoRowsPerBatch(inputs));
  });
});
