import * as assert from 'assert';
import * as path from 'path';
import { analyze } from '../../../src/server/core/analyze';
import { codeLenses } from '../../../src/server/core/features/codeLens';
import { completionsAt } from '../../../src/server/core/features/completion';
import { hoverAt } from '../../../src/server/core/features/hover';
import { DiskFileSystem } from '../../../src/server/core/fs';
import type { Position } from '../../../src/server/core/types';
import { MANIFEST, tempFolder } from './helpers';

const MODEL = `import pandas as pd
from pyml import DataFrameModel


class ChurnModel(DataFrameModel):
    def __init__(self) -> None:
        self.path = self.data_path("model.joblib")

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        a = df["tenure"]
        b = df[""]
        c = df.plan
        return pd.DataFrame({"churn_probability": a})
`;

/** Position of the `n`-th occurrence of `needle` plus `delta` characters. */
function at(text: string, needle: string, delta = 0): Position {
  const offset = text.indexOf(needle) + delta;
  const before = text.slice(0, offset).split('\n');
  return { line: before.length - 1, character: (before[before.length - 1] ?? '').length };
}

describe('hovers, completions and code lenses', () => {
  const dir = tempFolder({ 'pyml.yaml': MANIFEST, 'model.py': MODEL });
  const model = path.join(dir, 'model.py');
  const manifest = path.join(dir, 'pyml.yaml');
  const analysisOf = (file: string, overlay = new Map<string, string>()) => analyze(file, new DiskFileSystem((f) => overlay.get(f)));

  it('hovers a column read with its dtype from the manifest', () => {
    const hover = hoverAt(analysisOf(model), at(MODEL, '"tenure"', 2));
    assert.match(hover?.markdown ?? '', /\*\*tenure\*\* — input column, `int64` \(V2 INT64\), declared in `pyml.yaml` \(line 5\)/);
    const attr = hoverAt(analysisOf(model), at(MODEL, 'df.plan', 4));
    assert.match(attr?.markdown ?? '', /\*\*plan\*\* — input column, `string` \(V2 BYTES\)/);
  });

  it('hovers the contract names', () => {
    assert.match(hoverAt(analysisOf(model), at(MODEL, 'DataFrameModel):', 3))?.markdown ?? '', /pyml\.DataFrameModel/);
    assert.match(hoverAt(analysisOf(model), at(MODEL, 'predict(self', 2))?.markdown ?? '', /predict\(self, df: pd\.DataFrame\) -> pd\.DataFrame/);
    assert.match(hoverAt(analysisOf(model), at(MODEL, '__init__', 2))?.markdown ?? '', /no arguments/);
    assert.match(hoverAt(analysisOf(model), at(MODEL, 'data_path', 2))?.markdown ?? '', /data\//);
  });

  it('completes column names inside df["…"], replacing the string contents', () => {
    const items = completionsAt(analysisOf(model), at(MODEL, 'df[""]', 4));
    assert.deepStrictEqual(items.map((i) => i.label), ['tenure', 'plan']);
    assert.deepStrictEqual(items[0]?.edit?.range, { start: at(MODEL, 'df[""]', 4), end: at(MODEL, 'df[""]', 4) });
    assert.strictEqual(items[0].detail, 'int64 (INT64)');
  });

  it('completes inside a string that is still being typed', () => {
    const typing = MODEL.replace('        b = df[""]\n', '        b = df["te\n');
    const items = completionsAt(analysisOf(model, new Map([[model, typing]])), at(typing, 'df["te', 6));
    assert.deepStrictEqual(items.map((i) => i.label), ['tenure', 'plan']);
  });

  it('completes manifest keys and values', () => {
    const text = `name: churn\nkind: \ninputs:\n  - {name: a, dtype: f}\n  - name: b\n    \nru\n`;
    const overlay = new Map([[manifest, text]]);
    const labels = (p: Position): string[] => completionsAt(analysisOf(manifest, overlay), p).map((i) => i.label);
    assert.deepStrictEqual(labels({ line: 1, character: 6 }), ['dataframe', 'tensor']);
    assert.ok(labels({ line: 3, character: 22 }).includes('float64'));
    assert.deepStrictEqual(labels({ line: 5, character: 4 }), ['dtype', 'shape', 'description']);
    const top = labels({ line: 6, character: 2 });
    assert.ok(top.includes('runtime') && top.includes('model') && !top.includes('name'), top.join(','));
    assert.deepStrictEqual(completionsAt(analysisOf(manifest, new Map([[manifest, 'model: ']])), { line: 0, character: 7 }).map((i) => i.label), ['model:ChurnModel']);
  });

  it('hovers manifest keys with the schema description', () => {
    assert.match(hoverAt(analysisOf(manifest), { line: 2, character: 1 })?.markdown ?? '', /\*\*kind\*\* — dataframe: predict/);
  });

  it('puts Build · Run · Test over the model class', () => {
    const lenses = codeLenses(analysisOf(model));
    assert.deepStrictEqual(lenses.map((l) => l.action), ['build', 'run', 'test', 'debug']);
    assert.strictEqual(lenses[0]?.folder, dir);
    assert.deepStrictEqual(lenses[0].range.start, at(MODEL, 'ChurnModel('));
  });
});
