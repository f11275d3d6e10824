import * as assert from 'assert';
import { parseManifest } from '../../../src/model/manifest';

const valid = `name: churn
version: 0.1.0
model: model:ChurnModel
kind: dataframe
inputs:
  - {name: tenure, dtype: int64}
  - {name: plan, dtype: string}
outputs:
  - {name: churn_probability, dtype: float64}
runtime: {base_image: python:3.11-slim}
`;

describe('parseManifest', () => {
  it('reads a valid manifest into typed fields', () => {
    const { manifest, problems } = parseManifest(valid);
    assert.deepStrictEqual(problems, []);
    assert.ok(manifest);
    assert.strictEqual(manifest.module, 'model');
    assert.strictEqual(manifest.className, 'ChurnModel');
    assert.deepStrictEqual(
      manifest.inputs.map((f) => f.datatype),
      ['INT64', 'BYTES'],
    );
    assert.strictEqual(manifest.runtime.baseImage, 'python:3.11-slim');
    assert.strictEqual(manifest.threadSafe, false);
  });

  it('names the key and the line of a bad dtype', () => {
    const { manifest, problems } = parseManifest(valid.replace('dtype: string', 'dtype: text'));
    assert.strictEqual(manifest, undefined);
    assert.strictEqual(problems.length, 1);
    assert.match(problems[0]?.message ?? '', /'inputs\.1\.dtype' must be one of/);
    assert.strictEqual(problems[0]?.start.line, 6);
  });

  it('explains a model reference without a class', () => {
    const { problems } = parseManifest(valid.replace('model: model:ChurnModel', 'model: model'));
    assert.match(problems[0]?.message ?? '', /module:Class/);
    assert.strictEqual(problems[0]?.start.line, 2);
  });

  it('points at an unknown key', () => {
    const { problems } = parseManifest(`${valid}colour: blue\n`);
    assert.match(problems[0]?.message ?? '', /unknown key 'colour'/);
    assert.strictEqual(problems[0]?.start.line, 10);
  });

  it('reports a missing required key', () => {
    const { problems } = parseManifest(valid.replace('kind: dataframe\n', ''));
    assert.match(problems[0]?.message ?? '', /missing the required key 'kind'/);
  });

  it('reports YAML syntax errors with their line', () => {
    const { manifest, problems } = parseManifest('name: [unclosed\nkind: tensor\n');
    assert.strictEqual(manifest, undefined);
    assert.ok(problems.length > 0);
  });

  it('refuses a column declared twice', () => {
    const { problems } = parseManifest(valid.replace('name: plan', 'name: tenure'));
    assert.match(problems[0]?.message ?? '', /declares 'tenure' twice/);
    assert.strictEqual(problems[0]?.start.line, 6);
  });
});
