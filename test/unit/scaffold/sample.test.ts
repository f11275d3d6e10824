import * as assert from 'assert';
import { parseManifest, type Manifest } from '../../../src/model/manifest';
import { checkSample, compareOutputs, formatSampleJson, parseSample, shapeOf } from '../../../src/scaffold/sample';

function manifest(yaml: string): Manifest {
  const m = parseManifest(yaml).manifest;
  assert.ok(m);
  return m;
}

const frame = manifest('name: f\nmodel: model:F\nkind: dataframe\ninputs:\n  - {name: x, dtype: float64}\n  - {name: plan, dtype: string}\noutputs:\n  - {name: n, dtype: int64}\n');
const tensor = manifest('name: t\nmodel: model:T\nkind: tensor\ninputs:\n  - {name: x, dtype: FP32, shape: [-1, 2]}\noutputs:\n  - {name: y, dtype: bool, shape: [-1]}\n');

describe('scaffold: samples', () => {
  it('parses {inputs, expected} and refuses other shapes with a reason', () => {
    assert.deepStrictEqual(parseSample('{"inputs": {"x": [1]}}'), { inputs: { x: [1] } });
    assert.throws(() => parseSample('[]'), /JSON object/);
    assert.throws(() => parseSample('{"inputs": {"x": 1}}'), /"inputs" must map/);
    assert.throws(() => parseSample('{"inputs": {}, "expected": []}'), /"expected" must map/);
    assert.throws(() => parseSample('{"inputs": {'), SyntaxError);
  });

  it('checks DataFrame columns: declared names, equal lengths, dtypes', () => {
    assert.deepStrictEqual(checkSample(frame, { inputs: { x: [1.5, 2], plan: ['a', 'b'] }, expected: { n: [1, 2] } }), []);
    assert.deepStrictEqual(checkSample(frame, { inputs: { x: [1.5], plan: ['a', 'b'], z: [1] }, expected: { n: [1.5] } }), [
      'inputs.z is not declared in pyml.yaml (inputs)',
      'inputs.plan has 2 rows, other columns 1',
      'expected.n holds 1.5, not a int64',
    ]);
    assert.deepStrictEqual(checkSample(frame, { inputs: { x: [[1]], plan: [1] } }), [
      'inputs.x has shape [1, 1], pyml.yaml declares [-1]',
      'inputs.plan holds 1, not a string',
    ]);
  });

  it('checks tensors: shape against the manifest (-1 any), ragged lists, dtypes', () => {
    assert.deepStrictEqual(checkSample(tensor, { inputs: { x: [[1, 2], [3, 4.5]] }, expected: { y: [true, false] } }), []);
    assert.deepStrictEqual(checkSample(tensor, { inputs: { x: [[1, 2, 3]] }, expected: { y: [1] } }), [
      'inputs.x has shape [1, 3], pyml.yaml declares [-1, 2]',
      'expected.y holds 1, not a bool',
    ]);
    assert.deepStrictEqual(checkSample(tensor, { inputs: { x: [[1, 2], [3]] } }), ['inputs.x is ragged: nested lists of different lengths']);
    assert.deepStrictEqual(checkSample(tensor, { inputs: {} }), ["inputs has no 'x'"]);
  });

  it('computes shapes of nested lists', () => {
    assert.deepStrictEqual(shapeOf([[1, 2], [3, 4], [5, 6]]), [3, 2]);
    assert.deepStrictEqual(shapeOf([]), [0]);
    assert.strictEqual(shapeOf([[1], [2, 3]]), undefined);
  });

  it('compares answers: exact for strings and integers, floats within rtol 1e-5 + atol 1e-6', () => {
    assert.deepStrictEqual(compareOutputs({ p: [0.5, 1e-9], s: ['a'] }, { p: [0.5000001, 0], s: ['a'] }), []);
    assert.deepStrictEqual(compareOutputs({ p: [0.5] }, { p: [0.51] }), ['p[0] (flat, row-major) is 0.51, expected 0.5']);
    assert.deepStrictEqual(compareOutputs({ s: ['a'] }, { s: ['b'] }), ['s[0] (flat, row-major) is "b", expected "a"']);
    assert.deepStrictEqual(compareOutputs({ t: [[1, 2]] }, { t: [1, 2] }), ['t: shape [2], expected [1, 2]']);
    assert.deepStrictEqual(compareOutputs({ t: [1] }, { u: [1] }), ["no output 't' in the answer (it has: u)"]);
  });

  it('formats innermost lists on one line and round-trips', () => {
    const value = { inputs: { image: [[[0, 1], [2, 3]]], s: ['a'] }, expected: {} };
    const text = formatSampleJson(value);
    assert.strictEqual(text, '{\n  "inputs": {\n    "image": [\n      [\n        [0, 1],\n        [2, 3]\n      ]\n    ],\n    "s": ["a"]\n  },\n  "expected": {}\n}\n');
    assert.deepStrictEqual(JSON.parse(text), value);
  });
});
