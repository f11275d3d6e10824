"""Customer churn: a logistic regression over five customer columns.

The coefficients live in data/coefficients.json, so the model loads with any numpy and pandas version.
"""
import json

import numpy as np
import pandas as pd
from pyml import DataFrameModel

NUMERIC = ("tenure_months", "monthly_charges", "support_calls")


class ChurnModel(DataFrameModel):
    def __init__(self) -> None:
        with open(self.data_path("coefficients.json"), encoding="utf-8") as f:
            params = json.load(f)
        self.intercept = float(params["intercept"])
        self.weights = {name: float(params["weights"][name]) for name in NUMERIC}
        self.paperless = float(params["weights"]["paperless_billing"])
        self.plans = {plan: float(w) for plan, w in params["plans"].items()}
        self.medium, self.high = (float(t) for t in params["risk_thresholds"])

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        unknown = sorted(set(df["plan"]) - set(self.plans))
        if unknown:
            raise ValueError(f"unknown plan {unknown}: expected one of {sorted(self.plans)}")
        z = np.full(len(df), self.intercept)
        for name in NUMERIC:
            z += self.weights[name] * df[name].to_numpy(dtype=np.float64)
        z += self.paperless * df["paperless_billing"].to_numpy(dtype=np.float64)
        z += df["plan"].map(self.plans).to_numpy(dtype=np.float64)
        probability = 1.0 / (1.0 + np.exp(-z))
        risk = np.where(probability >= self.high, "high", np.where(probability >= self.medium, "medium", "low"))
        return pd.DataFrame({"churn_probability": probability, "risk": risk})
