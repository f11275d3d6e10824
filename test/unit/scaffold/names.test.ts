import * as assert from 'assert';
import { deriveNames } from '../../../src/scaffold/names';

function names(input: string): { manifestName: string; className: string } {
  const r = deriveNames(input);
  if ('error' in r) assert.fail(`'${input}' was refused: ${r.error}`);
  return r.names;
}

function refusal(input: string): string {
  const r = deriveNames(input);
  if (!('error' in r)) assert.fail(`'${input}' was accepted as ${JSON.stringify(r.names)}`);
  return r.error;
}

describe('scaffold: deriveNames', () => {
  it('turns words into a manifest name and a PascalCase class ending in Model', () => {
    assert.deepStrictEqual(names('churn'), { manifestName: 'churn', className: 'ChurnModel' });
    assert.deepStrictEqual(names('Churn predictor'), { manifestName: 'churn-predictor', className: 'ChurnPredictorModel' });
    assert.deepStrictEqual(names('house_prices.v2'), { manifestName: 'house-prices-v2', className: 'HousePricesV2Model' });
    assert.deepStrictEqual(names('  iris  '), { manifestName: 'iris', className: 'IrisModel' });
  });

  it('splits camelCase and does not repeat a Model suffix', () => {
    assert.deepStrictEqual(names('churnModel'), { manifestName: 'churn-model', className: 'ChurnModel' });
    assert.deepStrictEqual(names('XGBoost'), { manifestName: 'xgboost', className: 'XGBoostModel' });
  });

  it('derives names that the manifest schema and Python accept', () => {
    for (const input of ['a', 'Z9', 'my model 2', 'x-y_z.w', 'A'.repeat(63)]) {
      const n = names(input);
      assert.match(n.manifestName, /^[a-z0-9][a-z0-9._-]{0,62}$/);
      assert.match(n.className, /^[A-Z][A-Za-z0-9]*$/);
    }
  });

  it('refuses with a reason: empty, leading digit, other characters, too long, base-class names', () => {
    assert.match(refusal('   '), /Type a name/);
    assert.match(refusal('2fast'), /must start with a letter/);
    assert.match(refusal('churn/v2'), /'\/' cannot be part of a model name/);
    assert.match(refusal('café'), /'é' cannot be part/);
    assert.match(refusal('a'.repeat(64)), /too long/);
    assert.match(refusal('data frame'), /DataFrameModel, which is PyML's own base class/);
    assert.match(refusal('Tensor'), /TensorModel/);
  });
});
