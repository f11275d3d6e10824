import type { ModelNames, TemplateSpec } from '../types';

/**
 * Both scikit-learn templates store a fitted StandardScaler + LogisticRegression as plain JSON
 * and rebuild the fitted estimators from it: no pickle, so any scikit-learn version loads them.
 */
const rebuild = `def rebuild_pipeline(params: dict) -> Pipeline:
    """A fitted scaler + logistic regression from the parameters train.py stored."""
    scaler = StandardScaler()
    scaler.mean_ = np.asarray(params["scaler"]["mean"], dtype=np.float64)
    scaler.scale_ = np.asarray(params["scaler"]["scale"], dtype=np.float64)
    scaler.var_ = scaler.scale_**2
    scaler.n_features_in_ = scaler.mean_.shape[0]
    scaler.n_samples_seen_ = params["scaler"]["n_samples_seen"]
    classifier = LogisticRegression()
    classifier.classes_ = np.asarray(params["classes"])
    classifier.coef_ = np.asarray(params["logistic"]["coef"], dtype=np.float64)
    classifier.intercept_ = np.asarray(params["logistic"]["intercept"], dtype=np.float64)
    classifier.n_features_in_ = classifier.coef_.shape[1]
    classifier.n_iter_ = np.asarray([0])
    return Pipeline([("scale", scaler), ("classify", classifier)])`;

const saveParams = `def pipeline_params(pipeline: Pipeline, classes: list) -> dict:
    """What rebuild_pipeline() in model.py needs, as plain JSON."""
    scaler, classifier = pipeline.named_steps["scale"], pipeline.named_steps["classify"]
    return {
        "sklearn_version": sklearn.__version__,
        "classes": classes,
        "scaler": {
            "mean": scaler.mean_.tolist(),
            "scale": scaler.scale_.tolist(),
            "n_samples_seen": int(scaler.n_samples_seen_),
        },
        "logistic": {"coef": classifier.coef_.tolist(), "intercept": classifier.intercept_.tolist()},
    }`;

const IRIS_COLUMNS = '["sepal_length", "sepal_width", "petal_length", "petal_width"]';

const dataframeModel = (n: ModelNames): string => `"""${n.className}: the iris species from flower measurements, with scikit-learn.

data/classifier.json (written by train.py) holds a fitted StandardScaler and
LogisticRegression as plain numbers; rebuild_pipeline() turns them back into
fitted estimators. Unlike a pickle, this loads with any scikit-learn version.
"""
import json

import numpy as np
import pandas as pd
from pyml import DataFrameModel
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler


${rebuild}


class ${n.className}(DataFrameModel):
    def __init__(self) -> None:
        with open(self.data_path("classifier.json"), encoding="utf-8") as f:
            self.pipeline = rebuild_pipeline(json.load(f))

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        x = df[${IRIS_COLUMNS}].to_numpy(dtype=np.float64)
        probabilities = self.pipeline.predict_proba(x)
        best = probabilities.argmax(axis=1)
        return pd.DataFrame(
            {
                "species": self.pipeline.classes_[best].astype(object),
                "probability": probabilities.max(axis=1),
            },
            index=df.index,
        )
`;

const dataframeTrain = (n: ModelNames): string => `"""Retrains ${n.className} and rewrites data/classifier.json.

Replace make_training_data() with your own data (pd.read_csv, a query ...), then run
    python3 train.py
and rebuild the image.
"""
import json
from pathlib import Path

import pandas as pd
import sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

FEATURES = ${IRIS_COLUMNS}
DATA = Path(__file__).resolve().parent / "data"


def make_training_data() -> pd.DataFrame:
    """The iris data set that ships with scikit-learn (no download)."""
    iris = load_iris()
    df = pd.DataFrame(iris.data, columns=FEATURES)
    df["species"] = [str(iris.target_names[t]) for t in iris.target]
    return df


${saveParams}


def main() -> None:
    df = make_training_data()
    pipeline = Pipeline([("scale", StandardScaler()), ("classify", LogisticRegression(max_iter=1000))])
    pipeline.fit(df[FEATURES].to_numpy(), df["species"].to_numpy())
    classes = [str(c) for c in pipeline.classes_]
    DATA.mkdir(exist_ok=True)
    path = DATA / "classifier.json"
    path.write_text(json.dumps(pipeline_params(pipeline, classes), indent=2) + "\\n", encoding="utf-8")
    accuracy = pipeline.score(df[FEATURES].to_numpy(), df["species"].to_numpy())
    print(f"wrote {path} (training accuracy {accuracy:.1%})")


if __name__ == "__main__":
    main()
`;

const tensorModel = (n: ModelNames): string => `"""${n.className}: handwritten digits (8 x 8 images) with scikit-learn.

data/classifier.json (written by train.py) holds a fitted StandardScaler and
LogisticRegression as plain numbers; rebuild_pipeline() turns them back into
fitted estimators. Unlike a pickle, this loads with any scikit-learn version.
"""
import json

import numpy as np
from pyml import TensorModel
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler


${rebuild}


class ${n.className}(TensorModel):
    def __init__(self) -> None:
        with open(self.data_path("classifier.json"), encoding="utf-8") as f:
            self.pipeline = rebuild_pipeline(json.load(f))

    def predict(self, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        images = np.asarray(tensors["image"], dtype=np.float64)
        probabilities = self.pipeline.predict_proba(images.reshape(len(images), -1))
        return {
            "probabilities": probabilities.astype(np.float64),
            "digit": self.pipeline.classes_[probabilities.argmax(axis=1)].astype(np.int64),
        }
`;

const tensorTrain = (n: ModelNames): string => `"""Retrains ${n.className} and rewrites data/classifier.json.

Replace make_training_data() with your own images, then run
    python3 train.py
and rebuild the image.
"""
import json
from pathlib import Path

import numpy as np
import sklearn
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

DATA = Path(__file__).resolve().parent / "data"


def make_training_data() -> tuple[np.ndarray, np.ndarray]:
    """The 8 x 8 digits data set that ships with scikit-learn (no download)."""
    digits = load_digits()
    return digits.images.astype(np.float64), digits.target.astype(np.int64)


${saveParams}


def main() -> None:
    images, digits = make_training_data()
    x = images.reshape(len(images), -1)
    pipeline = Pipeline([("scale", StandardScaler()), ("classify", LogisticRegression(max_iter=2000))])
    pipeline.fit(x, digits)
    classes = [int(c) for c in pipeline.classes_]
    DATA.mkdir(exist_ok=True)
    path = DATA / "classifier.json"
    path.write_text(json.dumps(pipeline_params(pipeline, classes)) + "\\n", encoding="utf-8")
    print(f"wrote {path} (training accuracy {pipeline.score(x, digits):.1%})")


if __name__ == "__main__":
    main()
`;

export const SKLEARN: TemplateSpec = {
  id: 'sklearn',
  label: 'scikit-learn',
  description: 'a fitted scikit-learn pipeline, stored as JSON and rebuilt without pickle',
  kinds: {
    dataframe: {
      summary: 'The iris species from flower measurements, with a scikit-learn logistic regression',
      inputs: [
        { name: 'sepal_length', dtype: 'float64', description: 'sepal length in cm' },
        { name: 'sepal_width', dtype: 'float64', description: 'sepal width in cm' },
        { name: 'petal_length', dtype: 'float64', description: 'petal length in cm' },
        { name: 'petal_width', dtype: 'float64', description: 'petal width in cm' },
      ],
      outputs: [
        { name: 'species', dtype: 'string', description: 'setosa, versicolor or virginica' },
        { name: 'probability', dtype: 'float64', description: 'probability of that species' },
      ],
      requirements: ['numpy>=1.24', 'pandas>=1.5', 'scikit-learn>=1.2'],
      sources: (n) => ({ 'model.py': dataframeModel(n), 'train.py': dataframeTrain(n) }),
      sampleInputs: {
        sepal_length: [5.1, 6.4, 7.7],
        sepal_width: [3.5, 2.9, 3.0],
        petal_length: [1.4, 4.3, 6.1],
        petal_width: [0.2, 1.3, 2.3],
      },
      readme:
        'A `StandardScaler` and a `LogisticRegression` trained on the iris data set. `data/classifier.json` holds their\n' +
        'fitted parameters as plain numbers, and `rebuild_pipeline()` in `model.py` sets them on fresh estimators:\n' +
        'unlike a pickle or joblib file, this loads with any scikit-learn version.',
    },
    tensor: {
      summary: 'Handwritten digits from 8 x 8 images, with a scikit-learn logistic regression',
      inputs: [{ name: 'image', dtype: 'float64', shape: [-1, 8, 8], description: '8 x 8 grey levels, 0-16' }],
      outputs: [
        { name: 'probabilities', dtype: 'float64', shape: [-1, 10], description: 'probability of each digit' },
        { name: 'digit', dtype: 'int64', shape: [-1], description: 'the most probable digit' },
      ],
      requirements: ['numpy>=1.24', 'scikit-learn>=1.2'],
      sources: (n) => ({ 'model.py': tensorModel(n), 'train.py': tensorTrain(n) }),
      sampleInputs: {
        image: [
          [
            [0, 0, 5, 13, 9, 1, 0, 0], [0, 0, 13, 15, 10, 15, 5, 0], [0, 3, 15, 2, 0, 11, 8, 0], [0, 4, 12, 0, 0, 8, 8, 0],
            [0, 5, 8, 0, 0, 9, 8, 0], [0, 4, 11, 0, 1, 12, 7, 0], [0, 2, 14, 5, 10, 12, 0, 0], [0, 0, 6, 13, 10, 0, 0, 0],
          ],
          [
            [0, 0, 7, 8, 13, 16, 15, 1], [0, 0, 7, 7, 4, 11, 12, 0], [0, 0, 0, 0, 8, 13, 1, 0], [0, 4, 8, 8, 15, 15, 6, 0],
            [0, 2, 11, 15, 15, 4, 0, 0], [0, 0, 0, 16, 5, 0, 0, 0], [0, 0, 9, 15, 1, 0, 0, 0], [0, 0, 13, 5, 0, 0, 0, 0],
          ],
        ],
      },
      readme:
        'A `StandardScaler` and a `LogisticRegression` trained on the 8 x 8 digits data set that ships with\n' +
        'scikit-learn. `data/classifier.json` holds their fitted parameters as plain numbers, and `rebuild_pipeline()`\n' +
        'in `model.py` sets them on fresh estimators: unlike a pickle, this loads with any scikit-learn version.',
    },
  },
};
