import type { ModelNames, TemplateSpec } from '../types';

const dataframeModel = (n: ModelNames): string => `"""${n.className}: a linear regression of house prices in plain numpy.

The parameters are in data/linear.json, written by train.py: the feature order,
the features' means and standard deviations, the coefficients and the intercept.
JSON loads with any numpy version.
"""
import json

import numpy as np
import pandas as pd
from pyml import DataFrameModel

FEATURES = ["area_m2", "rooms", "age_years"]


class ${n.className}(DataFrameModel):
    def __init__(self) -> None:
        with open(self.data_path("linear.json"), encoding="utf-8") as f:
            params = json.load(f)
        if params["features"] != FEATURES:
            raise ValueError(f"data/linear.json was trained on {params['features']}, model.py expects {FEATURES}")
        self.mean = np.asarray(params["mean"], dtype=np.float64)
        self.scale = np.asarray(params["scale"], dtype=np.float64)
        self.coef = np.asarray(params["coef"], dtype=np.float64)
        self.intercept = float(params["intercept"])

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        x = df[["area_m2", "rooms", "age_years"]].to_numpy(dtype=np.float64)
        price = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return pd.DataFrame({"price": price}, index=df.index)
`;

const dataframeTrain = (n: ModelNames): string => `"""Retrains ${n.className} and rewrites data/linear.json.

Replace make_training_data() with your own data (pd.read_csv, a query ...), then run
    python3 train.py
and rebuild the image.
"""
import json
from pathlib import Path

import numpy as np
import pandas as pd

FEATURES = ["area_m2", "rooms", "age_years"]
DATA = Path(__file__).resolve().parent / "data"


def make_training_data(rows: int = 500, seed: int = 0) -> pd.DataFrame:
    """Synthetic houses: the price grows with area and rooms and falls with age."""
    rng = np.random.default_rng(seed)
    area = rng.uniform(30.0, 200.0, rows)
    rooms = rng.integers(1, 7, rows)
    age = rng.uniform(0.0, 80.0, rows)
    noise = rng.normal(0.0, 15_000.0, rows)
    price = 40_000.0 + 2_500.0 * area + 8_000.0 * rooms - 900.0 * age + noise
    return pd.DataFrame({"area_m2": area, "rooms": rooms, "age_years": age, "price": price})


def main() -> None:
    df = make_training_data()
    x = df[FEATURES].to_numpy(dtype=np.float64)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    design = np.column_stack([(x - mean) / scale, np.ones(len(x))])
    solution, *_ = np.linalg.lstsq(design, df["price"].to_numpy(dtype=np.float64), rcond=None)
    params = {
        "features": FEATURES,
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "coef": solution[:-1].tolist(),
        "intercept": float(solution[-1]),
    }
    DATA.mkdir(exist_ok=True)
    (DATA / "linear.json").write_text(json.dumps(params, indent=2) + "\\n", encoding="utf-8")
    rmse = float(np.sqrt(np.mean((design @ solution - df["price"].to_numpy()) ** 2)))
    print(f"wrote {DATA / 'linear.json'} (training RMSE {rmse:,.0f})")


if __name__ == "__main__":
    main()
`;

const tensorModel = (n: ModelNames): string => `"""${n.className}: a softmax (multinomial logistic) classifier in plain numpy.

The weights are in data/weights.npz, written by train.py: w (4 x 3) and b (3).
The .npz format loads with any numpy version and needs no pickle.
"""
import numpy as np
from pyml import TensorModel


class ${n.className}(TensorModel):
    def __init__(self) -> None:
        with np.load(self.data_path("weights.npz")) as weights:
            self.w = weights["w"].astype(np.float32)
            self.b = weights["b"].astype(np.float32)

    def predict(self, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        x = np.asarray(tensors["x"], dtype=np.float32)
        logits = x @ self.w + self.b
        logits -= logits.max(axis=1, keepdims=True)
        odds = np.exp(logits)
        probabilities = odds / odds.sum(axis=1, keepdims=True)
        return {
            "probabilities": probabilities.astype(np.float32),
            "label": probabilities.argmax(axis=1).astype(np.int64),
        }
`;

const tensorTrain = (n: ModelNames): string => `"""Retrains ${n.className} and rewrites data/weights.npz.

Replace make_training_data() with your own data, then run
    python3 train.py
and rebuild the image.
"""
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "data"
CLASSES = 3
FEATURES = 4


def make_training_data(rows_per_class: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three Gaussian clouds in four dimensions, one per class."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0, 0.0, 0.0], [3.0, 3.0, 0.0, 0.0], [0.0, 3.0, 3.0, 3.0]])
    x = np.concatenate([rng.normal(c, 1.0, size=(rows_per_class, FEATURES)) for c in centres])
    y = np.repeat(np.arange(CLASSES), rows_per_class)
    return x.astype(np.float32), y


def main(steps: int = 500, learning_rate: float = 0.5) -> None:
    x, y = make_training_data()
    onehot = np.eye(CLASSES, dtype=np.float32)[y]
    w = np.zeros((FEATURES, CLASSES), dtype=np.float32)
    b = np.zeros(CLASSES, dtype=np.float32)
    for _ in range(steps):
        logits = x @ w + b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        grad = (p - onehot) / len(x)
        w -= learning_rate * (x.T @ grad)
        b -= learning_rate * grad.sum(axis=0)
    DATA.mkdir(exist_ok=True)
    np.savez(DATA / "weights.npz", w=w, b=b)
    accuracy = float(((x @ w + b).argmax(axis=1) == y).mean())
    print(f"wrote {DATA / 'weights.npz'} (training accuracy {accuracy:.1%})")


if __name__ == "__main__":
    main()
`;

export const NUMPY: TemplateSpec = {
  id: 'numpy',
  label: 'plain numpy',
  description: 'numpy only: parameters in JSON / .npz, no framework',
  kinds: {
    dataframe: {
      summary: 'A linear regression of house prices in plain numpy',
      inputs: [
        { name: 'area_m2', dtype: 'float64', description: 'living area in square metres' },
        { name: 'rooms', dtype: 'int64', description: 'number of rooms' },
        { name: 'age_years', dtype: 'float64', description: 'age of the building in years' },
      ],
      outputs: [{ name: 'price', dtype: 'float64', description: 'predicted price' }],
      requirements: ['numpy>=1.24', 'pandas>=1.5'],
      sources: (n) => ({ 'model.py': dataframeModel(n), 'train.py': dataframeTrain(n) }),
      sampleInputs: {
        area_m2: [54.0, 120.5, 88.0],
        rooms: [2, 5, 3],
        age_years: [35.0, 4.0, 61.5],
      },
      readme:
        'The features are standardised with the training means and standard deviations, then multiplied by the\n' +
        'coefficients in `data/linear.json`.',
    },
    tensor: {
      summary: 'A softmax classifier of 4-feature vectors into 3 classes in plain numpy',
      inputs: [{ name: 'x', dtype: 'float32', shape: [-1, 4], description: 'one row of 4 features per example' }],
      outputs: [
        { name: 'probabilities', dtype: 'float32', shape: [-1, 3], description: 'probability of each class' },
        { name: 'label', dtype: 'int64', shape: [-1], description: 'the most probable class, 0-2' },
      ],
      requirements: ['numpy>=1.24'],
      sources: (n) => ({ 'model.py': tensorModel(n), 'train.py': tensorTrain(n) }),
      sampleInputs: {
        x: [
          [0.1, -0.3, 0.2, 0.0],
          [2.8, 3.1, 0.4, -0.2],
          [0.2, 2.9, 3.3, 2.7],
        ],
      },
      readme: 'A linear layer and a softmax, with the weights in `data/weights.npz` (`w`: 4 x 3, `b`: 3).',
    },
  },
};
