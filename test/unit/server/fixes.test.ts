import * as assert from 'assert';
import * as path from 'path';
import { fixed, MANIFEST, tempFolder } from './helpers';

const HEADER = `"""Churn model."""
import joblib
import pandas as pd
from pyml import DataFrameModel

`;

describe('quick fixes: the exact edits', () => {
  it('adds predict with the kind\'s signature at the end of the class', () => {
    const dir = tempFolder({
      'pyml.yaml': MANIFEST,
      'model.py': `${HEADER}
class ChurnModel(DataFrameModel):
    def __init__(self) -> None:
        pass
`,
    });
    const file = path.join(dir, 'model.py');
    const out = fixed(file, 'PYML020', 'Add predict(self, df) to ChurnModel').get(file);
    assert.strictEqual(
      out,
      `${HEADER}
class ChurnModel(DataFrameModel):
    def __init__(self) -> None:
        pass

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        raise NotImplementedError("compute 'churn_probability' from df")
`,
    );
  });

  it('adds the imports a tensor predict needs after the module docstring and imports', () => {
    const dir = tempFolder({
      'pyml.yaml': MANIFEST.replace('kind: dataframe', 'kind: tensor'),
      'model.py': `"""Doc."""
from pyml import TensorModel


class ChurnModel(TensorModel):
    def __init__(self):
        pass
`,
    });
    const file = path.join(dir, 'model.py');
    const out = fixed(file, 'PYML020', /Add predict/).get(file);
    assert.strictEqual(
      out,
      `"""Doc."""
from pyml import TensorModel
import numpy as np


class ChurnModel(TensorModel):
    def __init__(self):
        pass

    def predict(self, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        raise NotImplementedError("compute 'churn_probability' from tensors")
`,
    );
  });

  it('drops required __init__ parameters but keeps optional and keyword-only ones', () => {
    const dir = tempFolder({
      'pyml.yaml': MANIFEST,
      'model.py': `${HEADER}
class ChurnModel(DataFrameModel):
    def __init__(self, path: str, limit=3, *, strict, verbose=False):
        pass

    def predict(self, df):
        return df
`,
    });
    const file = path.join(dir, 'model.py');
    const dropped = fixed(file, 'PYML023', 'Remove path, strict from __init__').get(file) ?? '';
    assert.ok(dropped.includes('def __init__(self, limit=3, *, verbose=False):'), dropped);
    const defaults = fixed(file, 'PYML023', 'Give path, strict a default of None').get(file) ?? '';
    assert.ok(defaults.includes('def __init__(self, path: str = None, limit=3, *, strict=None, verbose=False):'), defaults);
  });

  it('derives a plain class from the base of the manifest\'s kind, importing it', () => {
    const dir = tempFolder({
      'pyml.yaml': MANIFEST,
      'model.py': `import pandas as pd


class ChurnModel(object):
    def __init__(self):
        pass

    def predict(self, df):
        return df
`,
    });
    const file = path.join(dir, 'model.py');
    assert.strictEqual(
      fixed(file, 'PYML011', 'Derive ChurnModel from DataFrameModel').get(file),
      `import pandas as pd
from pyml import DataFrameModel


class ChurnModel(DataFrameModel):
    def __init__(self):
        pass

    def predict(self, df):
        return df
`,
    );
  });

  it('switches the base class, or the manifest kind', () => {
    const dir = tempFolder({
      'pyml.yaml': MANIFEST,
      'model.py': `import pyml


class ChurnModel(pyml.TensorModel):
    def __init__(self):
        pass

    def predict(self, df):
        return df
`,
    });
    const file = path.join(dir, 'model.py');
    assert.ok(fixed(file, 'PYML010', 'Derive ChurnModel from DataFrameModel').get(file)?.includes('class ChurnModel(pyml.DataFrameModel):'));
    const manifest = fixed(file, 'PYML010', 'Change kind to tensor in pyml.yaml').get(path.join(dir, 'pyml.yaml'));
    assert.strictEqual(manifest, MANIFEST.replace('kind: dataframe', 'kind: tensor'));
  });

  describe('declaring a column in pyml.yaml', () => {
    const model = `import pandas as pd
from pyml import DataFrameModel


class ChurnModel(DataFrameModel):
    def __init__(self):
        pass

    def predict(self, df):
        return df[["region"]]
`;
    const declare = (manifest: string): string | undefined => {
      const dir = tempFolder({ 'pyml.yaml': manifest, 'model.py': model });
      return fixed(path.join(dir, 'model.py'), 'PYML220', /Declare 'region'/).get(path.join(dir, 'pyml.yaml'));
    };

    it('in flow style after the last input', () => {
      assert.strictEqual(declare(MANIFEST), MANIFEST.replace('  - {name: plan, dtype: string}\n', '  - {name: plan, dtype: string}\n  - {name: region, dtype: float64}\n'));
    });

    it('in block style', () => {
      const block = MANIFEST.replace('  - {name: tenure, dtype: int64}\n  - {name: plan, dtype: string}\n', '  - name: tenure\n    dtype: int64\n  - name: plan  # the plan\n    dtype: string\n');
      assert.strictEqual(declare(block), block.replace('    dtype: string\n', '    dtype: string\n  - name: region\n    dtype: float64\n'));
    });

    it('in a flow sequence', () => {
      const flow = MANIFEST.replace('inputs:\n  - {name: tenure, dtype: int64}\n  - {name: plan, dtype: string}\n', 'inputs: [{name: tenure, dtype: int64}]\n');
      assert.strictEqual(declare(flow), flow.replace('[{name: tenure, dtype: int64}]', '[{name: tenure, dtype: int64}, {name: region, dtype: float64}]'));
    });
  });

  it('appends a requirement, adding the missing final newline', () => {
    const dir = tempFolder({
      'pyml.yaml': MANIFEST,
      'requirements.txt': 'joblib',
      'model.py': `import cv2
from pyml import DataFrameModel


class ChurnModel(DataFrameModel):
    def __init__(self):
        pass

    def predict(self, df):
        return df
`,
    });
    const out = fixed(path.join(dir, 'model.py'), 'PYML200', "Add 'opencv-python' to requirements.txt");
    assert.strictEqual(out.get(path.join(dir, 'requirements.txt')), 'joblib\nopencv-python\n');
  });

  it('creates requirements.txt when there is none', () => {
    const dir = tempFolder({
      'pyml.yaml': MANIFEST,
      'model.py': 'import torch\nfrom pyml import DataFrameModel\n\n\nclass ChurnModel(DataFrameModel):\n    def __init__(self):\n        pass\n\n    def predict(self, df):\n        return df\n',
    });
    const file = path.join(dir, 'model.py');
    const finding = fixed(file, 'PYML200', "Add 'torch' to requirements.txt");
    assert.strictEqual(finding.get(path.join(dir, 'requirements.txt')), 'torch\n');
  });

  it('points the manifest at the class the module defines', () => {
    const dir = tempFolder({
      'pyml.yaml': MANIFEST,
      'model.py': 'from pyml import DataFrameModel\n\n\nclass Churn(DataFrameModel):\n    def __init__(self):\n        pass\n\n    def predict(self, df):\n        return df\n',
    });
    const out = fixed(path.join(dir, 'pyml.yaml'), 'PYML002', 'Set model: model:Churn');
    assert.strictEqual(out.get(path.join(dir, 'pyml.yaml')), MANIFEST.replace('model: model:ChurnModel', 'model: model:Churn'));
  });
});
