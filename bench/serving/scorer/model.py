"""A linear score and a band: the serving bench's DataFrame model (bench/serving/servingBench.ts)."""
import numpy as np
import pandas as pd
from pyml import DataFrameModel


class Scorer(DataFrameModel):
    def __init__(self) -> None:
        self.weights = np.array([0.02, -0.01, 0.3, 0.005])

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        score = df[["tenure", "charges", "calls", "age"]].to_numpy() @ self.weights
        band = np.where(score > 1.0, "high", "low")
        return pd.DataFrame({"score": score, "band": band})
