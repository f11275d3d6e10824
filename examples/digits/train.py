"""Retrains DigitsModel and rewrites data/classifier.json.

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


def pipeline_params(pipeline: Pipeline, classes: list) -> dict:
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
    }


def main() -> None:
    images, digits = make_training_data()
    x = images.reshape(len(images), -1)
    pipeline = Pipeline([("scale", StandardScaler()), ("classify", LogisticRegression(max_iter=2000))])
    pipeline.fit(x, digits)
    classes = [int(c) for c in pipeline.classes_]
    DATA.mkdir(exist_ok=True)
    path = DATA / "classifier.json"
    path.write_text(json.dumps(pipeline_params(pipeline, classes)) + "\n", encoding="utf-8")
    print(f"wrote {path} (training accuracy {pipeline.score(x, digits):.1%})")


if __name__ == "__main__":
    main()
