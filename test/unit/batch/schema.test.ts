import * as assert from 'assert';
import * as arrow from 'apache-arrow';
import { canWiden } from '../../../src/batch/columns';
import { arrowTypeName, type SourceField } from '../../../src/tables/fields';
import { SchemaMismatchError } from '../../../src/batch/batchErrors';
import { planBatch } from '../../../src/batch/inputPlan';
import { field, manifest } from './helpers';

const typed = (name: string, type: arrow.DataType, typeName = arrowTypeName(type)): SourceField => ({ name, type: { kind: 'typed', type }, typeName });
const text = (name: string): SourceField => ({ name, type: { kind: 'text' }, typeName: 'text (CSV)' });

const churn = manifest(
  [field('tenure', 'int64'), field('charges', 'float64'), field('plan', 'string')],
  [field('churn_probability', 'float64'), field('segment', 'string')],
);

const typeOf = (c: { type: arrow.DataType } | undefined): string => (c ? arrowTypeName(c.type) : 'none');

function mismatch(fn: () => unknown): SchemaMismatchError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SchemaMismatchError, `expected SchemaMismatchError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a SchemaMismatchError');
}

describe('batch schema check', () => {
  it('plans inputs in manifest order, keys, and an output schema of keys then outputs', () => {
    const plan = planBatch(churn, [typed('id', new arrow.Int64()), typed('plan', new arrow.Utf8()), typed('charges', new arrow.Float64()), typed('tenure', new arrow.Int64())], ['id']);
    assert.deepStrictEqual(plan.inputs.map((c) => c.name), ['tenure', 'charges', 'plan']);
    assert.deepStrictEqual(plan.keys.map((c) => c.name), ['id']);
    assert.deepStrictEqual(plan.read.map((c) => c.name), ['tenure', 'charges', 'plan', 'id']);
    assert.deepStrictEqual(plan.outputSchema.fields.map((f) => `${f.name}:${String(f.type)}:${f.nullable}`), [
      'id:Int64:true',
      'churn_probability:Float64:false',
      'segment:Utf8:true',
    ]);
  });

  it('names every missing and mistyped column, and what the input has', () => {
    const err = mismatch(() => planBatch(churn, [typed('tenure', new arrow.Float64(), 'DOUBLE (Parquet)'), typed('other', new arrow.Utf8())], []));
    assert.deepStrictEqual(err.problems.map((p) => p.column), ['tenure', 'charges', 'plan']);
    assert.match(err.message, /'tenure': the input has DOUBLE \(Parquet\) \(float64\), the model declares int64 \(INT64\)/);
    assert.match(err.message, /'charges': the model needs this input column \(float64 \(FP64\)\)/);
    assert.match(err.message, /CAST\(tenure AS BIGINT\)/);
    assert.match(err.message, /The input has: tenure, other\./);
  });

  it('accepts lossless widening (int32 -> int64, float32 -> float64) and refuses lossy casts', () => {
    const plan = planBatch(churn, [typed('tenure', new arrow.Int32()), typed('charges', new arrow.Float32()), typed('plan', new arrow.Utf8())], []);
    assert.strictEqual(typeOf(plan.inputs[0]), 'Int64');
    assert.strictEqual(typeOf(plan.inputs[1]), 'Float64');
    mismatch(() => planBatch(churn, [typed('tenure', new arrow.Int64()), typed('charges', new arrow.Int64()), typed('plan', new arrow.Utf8())], []));
    mismatch(() => planBatch(churn, [typed('tenure', new arrow.Uint64()), typed('charges', new arrow.Float64()), typed('plan', new arrow.Utf8())], []));
    mismatch(() => planBatch(churn, [typed('tenure', new arrow.Int64()), typed('charges', new arrow.Float64()), typed('plan', new arrow.Int64())], []));
  });

  it('follows numpy safe casting', () => {
    assert.ok(canWiden('INT8', 'FP16'));
    assert.ok(canWiden('INT32', 'FP64'));
    assert.ok(!canWiden('INT64', 'FP64'));
    assert.ok(canWiden('UINT32', 'INT64'));
    assert.ok(!canWiden('UINT64', 'INT64'));
    assert.ok(!canWiden('INT8', 'UINT64'));
    assert.ok(!canWiden('FP64', 'FP32'));
    assert.ok(!canWiden('BOOL', 'INT8'));
  });

  it('takes CSV (text) columns of any declared type: values are checked as they are converted', () => {
    const plan = planBatch(churn, [text('tenure'), text('charges'), text('plan'), text('id')], ['id']);
    assert.strictEqual(typeOf(plan.keys[0]), 'Utf8');
  });

  it('refuses unknown, repeated and output-named key columns', () => {
    const fields = [typed('tenure', new arrow.Int64()), typed('charges', new arrow.Float64()), typed('plan', new arrow.Utf8()), typed('segment', new arrow.Utf8())];
    const err = mismatch(() => planBatch(churn, fields, ['nope', 'plan', 'plan', 'segment']));
    assert.deepStrictEqual(err.problems.map((p) => p.column), ['nope', 'plan', 'segment']);
    assert.match(err.message, /'segment': is a key column with the name of a model output/);
  });

  it('reads a key that is also an input once, as the input', () => {
    const plan = planBatch(churn, [typed('tenure', new arrow.Int32()), typed('charges', new arrow.Float64()), typed('plan', new arrow.Utf8())], ['tenure']);
    assert.deepStrictEqual(plan.read.map((c) => c.name), ['tenure', 'charges', 'plan']);
    assert.strictEqual(typeOf(plan.keys[0]), 'Int64');
  });

  it('carries keys of types V2 cannot hold (dates, decimals) as text, but refuses them as inputs', () => {
    const date: SourceField = { name: 'day', type: { kind: 'unsupported', typeName: 'DATE (Parquet)' }, typeName: 'DATE (Parquet)' };
    const fields = [typed('tenure', new arrow.Int64()), typed('charges', new arrow.Float64()), typed('plan', new arrow.Utf8()), date];
    const plan = planBatch(churn, fields, ['day']);
    assert.deepStrictEqual(plan.keys[0], { name: 'day', type: new arrow.Utf8(), asText: true });
    const asInput = manifest([field('day', 'int64')], [field('y', 'float64')]);
    assert.match(mismatch(() => planBatch(asInput, fields, [])).message, /'day': the input has DATE \(Parquet\), which no V2 datatype carries/);
  });

  it('runs tensor models whose tensors are columns, and says why others cannot', () => {
    const columnar = manifest([field('x', 'float32', [-1])], [field('y', 'float32', [-1, 1])], 'tensor');
    planBatch(columnar, [typed('x', new arrow.Float32())], []);
    const image = manifest([field('img', 'float32', [-1, 28, 28])], [field('y', 'float32', [-1])], 'tensor');
    assert.match(mismatch(() => planBatch(image, [typed('img', new arrow.Float32())], [])).message, /'img': a tensor of shape \[-1, 28, 28\] is not a column/);
  });
});
