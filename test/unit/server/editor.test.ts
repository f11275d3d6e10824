// The editor behaviours of issue 16 item 9 and 1c, each with a file that triggers it and one that does not:
// returned names against pyml.yaml outputs (PYML221/222), no PYML220 while a column name is being typed,
// the rename fix for a misspelt predict, and the hovers on the model class, predict and tensor names.
import * as assert from 'assert';
import * as path from 'path';
import { analyze } from '../../../src/server/core/analyze';
import { hoverAt } from '../../../src/server/core/features/hover';
import { DiskFileSystem } from '../../../src/server/core/fs';
import type { Position } from '../../../src/server/core/types';
import { analyzeFile, fixed, MANIFEST, REPO, tempFolder } from './helpers';

/** Position of `needle` in `text`, plus `delta` characters. */
function at(text: string, needle: string, delta = 0): Position {
  const offset = text.indexOf(needle);
  assert.ok(offset >= 0, `${needle} not in the text`);
  const before = text.slice(0, offset + delta).split('\n');
  return { line: before.length - 1, character: (before[before.length - 1] ?? '').length };
}

const TENSOR_MANIFEST = `name: digits
model: model:DigitModel
kind: tensor
inputs:
  - name: pixels
    dtype: float32
    shape: [-1, 784]
outputs:
  - {name: digit, dtype: int64, shape: [-1]}
  - name: confidence
    dtype: float32
    shape: [-1]
`;

function dataFrameModel(predictBody: string): string {
  return `import pandas as pd
from pyml import DataFrameModel


class ChurnModel(DataFrameModel):
    def __init__(self) -> None:
        pass

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
${predictBody}
`;
}

function tensorModel(predictBody: string): string {
  return `import numpy as np
from pyml import TensorModel


class DigitModel(TensorModel):
    def __init__(self) -> None:
        pass

    def predict(self, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
${predictBody}
`;
}

function codesOf(manifest: string, model: string): string[] {
  const dir = tempFolder({ 'pyml.yaml': manifest, 'model.py': model });
  return analyzeFile(path.join(dir, 'model.py')).map((f) => `${f.range.start.line + 1} ${f.code}`);
}

describe('PYML221/222: the names predict returns against pyml.yaml outputs', () => {
  it('reports an undeclared key of a returned dict literal, on the key', () => {
    const model = tensorModel('        return {"digit": tensors["pixels"].argmax(axis=1), "confidence": 1.0, "logits": tensors["pixels"]}');
    const dir = tempFolder({ 'pyml.yaml': TENSOR_MANIFEST, 'model.py': model });
    const findings = analyzeFile(path.join(dir, 'model.py'));
    assert.deepStrictEqual(findings.map((f) => f.code), ['PYML221']);
    const [finding] = findings;
    assert.ok(finding);
    assert.deepStrictEqual(finding.range.start, at(model, '"logits"'));
    assert.match(finding.message, /key 'logits' is in the dict predict returns but pyml.yaml outputs do not declare it \(declared: digit, confidence\)/);
  });

  it('reports a column assigned to a local frame before it is returned, and the input columns of a returned input frame', () => {
    const model = dataFrameModel(`        out = pd.DataFrame({"churn_probability": df["tenure"] / 100})
        out["debug"] = 1
        if len(df) > 1:
            return out
        df["churn_probability"] = 0.5
        return df`);
    assert.deepStrictEqual(codesOf(MANIFEST, model), ['11 PYML221', '15 PYML221']);
    const dir = tempFolder({ 'pyml.yaml': MANIFEST, 'model.py': model });
    const onReturn = analyzeFile(path.join(dir, 'model.py')).find((f) => f.range.start.line === 14);
    assert.match(onReturn?.message ?? '', /returns its input DataFrame, which still holds input columns tenure, plan/);
  });

  it('says nothing where the code does not show every name it would need', () => {
    const bodies = [
      '        return pd.DataFrame({"churn_probability": df["tenure"] / 100}, index=df.index)',
      '        return self.answer(df)',
      '        out = self.frame()\n        return out',
      '        extra = {"x": 1}\n        return pd.DataFrame({**extra, "churn_probability": 0.5})',
      '        df["churn_probability"] = 0.5\n        return df[["churn_probability"]]',
      '        df["churn_probability"] = 0.5\n        df.drop(columns=["tenure", "plan"], inplace=True)\n        return df',
      '        out = pd.DataFrame({"churn_probability": 0.5, "debug": 1})\n        del out["debug"]\n        return out',
      '        out = pd.DataFrame({"churn_probability": 0.5, "debug": 1})\n        other = out\n        other.pop("debug")\n        return out',
      '        out = pd.DataFrame()\n        out[self.column()] = 0.5\n        return out',
      '        out = pd.DataFrame()\n        self.fill(out)\n        return out',
      '        for out in self.frames():\n            return out\n        out = pd.DataFrame({"x": 1})\n        return out',
      '        answer = {"churn_probability": 0.5}\n        return pd.DataFrame(answer)',
    ];
    for (const body of bodies) assert.deepStrictEqual(codesOf(MANIFEST, dataFrameModel(body)), [], body);
  });

  it('reports a declared output a fully shown return lacks, with a fix that removes it from pyml.yaml', () => {
    const model = tensorModel('        return {"digit": tensors["pixels"].argmax(axis=1)}');
    const dir = tempFolder({ 'pyml.yaml': TENSOR_MANIFEST, 'model.py': model });
    const findings = analyzeFile(path.join(dir, 'model.py'));
    assert.deepStrictEqual(findings.map((f) => f.code), ['PYML222']);
    assert.match(findings[0]?.message ?? '', /has no key 'confidence', which pyml.yaml declares in outputs \(it has: digit\)/);
    const out = fixed(path.join(dir, 'model.py'), 'PYML222', "Remove 'confidence' from pyml.yaml outputs").get(path.join(dir, 'pyml.yaml'));
    assert.strictEqual(out, TENSOR_MANIFEST.replace('  - name: confidence\n    dtype: float32\n    shape: [-1]\n', ''));
  });

  it('one misspelt key is one finding, whose preferred fix renames it to the missing output', () => {
    const model = tensorModel('        return {"digit": 1, "confidance": 0.5}');
    const dir = tempFolder({ 'pyml.yaml': TENSOR_MANIFEST, 'model.py': model });
    const findings = analyzeFile(path.join(dir, 'model.py'));
    assert.deepStrictEqual(findings.map((f) => f.code), ['PYML221']);
    assert.match(findings[0]?.message ?? '', /this return lacks confidence/);
    assert.deepStrictEqual(findings[0]?.fixes.map((f) => [f.title, f.preferred]), [
      ["Change to 'confidence'", true],
      ["Declare 'confidance' in pyml.yaml outputs (float32, shape [-1])", false],
    ]);
    const file = path.join(dir, 'model.py');
    assert.strictEqual(fixed(file, 'PYML221', "Change to 'confidence'").get(file), model.replace('"confidance"', '"confidence"'));
  });

  it('declares a tensor output with a shape, in the style of the manifest', () => {
    const model = tensorModel('        return {"digit": 1, "confidence": 0.5, "logits": 2}');
    const dir = tempFolder({ 'pyml.yaml': TENSOR_MANIFEST, 'model.py': model });
    const out = fixed(path.join(dir, 'model.py'), 'PYML221', /Declare 'logits'/).get(path.join(dir, 'pyml.yaml'));
    assert.strictEqual(out, `${TENSOR_MANIFEST}  - name: logits\n    dtype: float32\n    shape: [-1]\n`);
    const flow = TENSOR_MANIFEST.replace('  - name: confidence\n    dtype: float32\n    shape: [-1]\n', '  - {name: confidence, dtype: float32, shape: [-1]}\n');
    const dir2 = tempFolder({ 'pyml.yaml': flow, 'model.py': model });
    const out2 = fixed(path.join(dir2, 'model.py'), 'PYML221', /Declare 'logits'/).get(path.join(dir2, 'pyml.yaml'));
    assert.strictEqual(out2, `${flow}  - {name: logits, dtype: float32, shape: [-1]}\n`);
  });

  it('the shipped examples return exactly their declared outputs', () => {
    for (const name of ['churn', 'digits']) {
      const file = path.join(REPO, 'examples', name, 'model.py');
      const found = analyze(file, new DiskFileSystem()).findings.filter((f) => f.code === 'PYML221' || f.code === 'PYML222');
      assert.deepStrictEqual(found.map((f) => f.message), [], name);
    }
  });
});

describe('PYML220 while a column name is being typed', () => {
  it('is quiet on df[""] and on an unfinished df["te, and reports the finished name', () => {
    const typing = (expr: string): string => dataFrameModel(`        x = ${expr}\n        return pd.DataFrame({"churn_probability": x})`);
    assert.deepStrictEqual(codesOf(MANIFEST, typing('df[""]')), []);
    assert.deepStrictEqual(codesOf(MANIFEST, typing("df['  ']")), []);
    const unfinished = codesOf(MANIFEST, typing('df["te'));
    assert.ok(!unfinished.some((c) => c.endsWith('PYML220')), unfinished.join(', '));
    assert.deepStrictEqual(codesOf(MANIFEST, typing('df["region"]')), ['10 PYML220']);
  });
});

describe('PYML020 with a misspelt predict', () => {
  const model = `from pyml import DataFrameModel


class ChurnModel(DataFrameModel):
    def __init__(self) -> None:
        pass

    def predictx(self, df):
        return df[["churn_probability"]]

    def explain(self, df):
        return self.predictx(df)
`;

  it('offers "Rename predictx to predict" first, renaming its self. calls too, then the stub', () => {
    const dir = tempFolder({ 'pyml.yaml': MANIFEST, 'model.py': model });
    const file = path.join(dir, 'model.py');
    const finding = analyzeFile(file).find((f) => f.code === 'PYML020');
    assert.match(finding?.message ?? '', /predictx looks like a misspelling/);
    assert.deepStrictEqual(finding?.fixes.map((f) => [f.title, f.preferred]), [
      ['Rename predictx to predict', true],
      ['Add predict(self, df) to ChurnModel', false],
    ]);
    const out = fixed(file, 'PYML020', 'Rename predictx to predict').get(file) ?? '';
    assert.strictEqual(out, model.replace('def predictx', 'def predict').replace('self.predictx(', 'self.predict('));
    assert.ok(!analyzeFile(file, new Map([[file, out]])).some((f) => f.code === 'PYML020'));
  });

  it('offers only the stub when no method name is near', () => {
    const dir = tempFolder({ 'pyml.yaml': MANIFEST, 'model.py': model.replace(/predictx/g, 'score') });
    const finding = analyzeFile(path.join(dir, 'model.py')).find((f) => f.code === 'PYML020');
    assert.deepStrictEqual(finding?.fixes.map((f) => [f.title, f.preferred]), [['Add predict(self, df) to ChurnModel', true]]);
  });
});

describe('hovers on the model class, predict and tensor names', () => {
  const hover = (manifest: string, model: string, needle: string, delta = 1): string => {
    const dir = tempFolder({ 'pyml.yaml': manifest, 'model.py': model });
    return hoverAt(analyze(path.join(dir, 'model.py'), new DiskFileSystem()), at(model, needle, delta))?.markdown ?? '';
  };
  const df = dataFrameModel('        return pd.DataFrame({"churn_probability": df["tenure"] / 100})');
  const tensors = tensorModel('        return {"digit": tensors["pixels"].argmax(axis=1), "confidence": tensors["pixels"].max(axis=1)}');

  it('the model class: the contract, its kind, the declared inputs and outputs', () => {
    const text = hover(MANIFEST, df, 'ChurnModel(');
    assert.match(text, /\*\*ChurnModel\*\* — the model `pyml.yaml` serves \(`model: model:ChurnModel`\)/);
    assert.match(text, /DataFrame model\*\* \(`kind: dataframe`\)/);
    assert.match(text, /\*\*Inputs\*\* \(columns\):\n- `tenure` — `int64` \(V2 INT64\)\n- `plan` — `string` \(V2 BYTES\)/);
    assert.match(text, /\*\*Outputs\*\*:\n- `churn_probability` — `float64` \(V2 FP64\)/);
    const tensorText = hover(TENSOR_MANIFEST, tensors, 'DigitModel(');
    assert.match(tensorText, /tensor model\*\* \(`kind: tensor`\)/);
    assert.match(tensorText, /- `pixels` — `float32` \(V2 FP32\), shape `\[-1, 784\]`/);
    assert.match(tensorText, /- `confidence` — `float32` \(V2 FP32\), shape `\[-1\]`/);
  });

  it('predict: its signature for this kind with the argument name, the inputs it gets and the outputs it returns', () => {
    const text = hover(TENSOR_MANIFEST, tensors, 'predict(self');
    assert.match(text, /def predict\(self, tensors: dict\[str, np\.ndarray\]\) -> dict\[str, np\.ndarray\]/);
    assert.match(text, /`tensors` maps each input name of `pyml.yaml` to a numpy array:\n- `pixels` — `float32` \(V2 FP32\), shape `\[-1, 784\]`/);
    assert.match(text, /Return a dict with exactly these arrays:\n- `digit` — `int64` \(V2 INT64\), shape `\[-1\]`/);
    assert.match(hover(MANIFEST, df, 'predict(self'), /Return a DataFrame with exactly these columns, one row per input row:\n- `churn_probability`/);
  });

  it('a tensor read and a returned key: dtype and shape', () => {
    assert.match(hover(TENSOR_MANIFEST, tensors, '"pixels"', 2), /\*\*pixels\*\* — input tensor, `float32` \(V2 FP32\), shape `\[-1, 784\]`, declared in `pyml.yaml` \(line 5\)/);
    assert.match(hover(TENSOR_MANIFEST, tensors, '"confidence"', 2), /\*\*confidence\*\* — output tensor, `float32` \(V2 FP32\), shape `\[-1\]`, declared in `pyml.yaml` \(line 10\)/);
    assert.match(hover(MANIFEST, df, '"churn_probability"', 2), /\*\*churn_probability\*\* — output column, `float64` \(V2 FP64\)/);
  });

  it('nothing on a class that is not the model', () => {
    const other = `${df}\n\nclass Helper:\n    pass\n`;
    assert.strictEqual(hover(MANIFEST, other, 'Helper'), '');
  });
});
