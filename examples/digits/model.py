"""DigitsModel: handwritten digits (8 x 8 images) with scikit-learn.

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


def rebuild_pipeline(params: dict) -> Pipeline:
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
    return Pipeline([("scale", scaler), ("classify", classifier)])


class DigitsModel(TensorModel):
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
