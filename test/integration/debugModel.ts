/** The model the debug tests and the debug bench stop in, and the lines of its breakpoints. */
export const DEBUG_MODEL = `"""Debug fixture: doubles x."""
import pandas as pd
from pyml import DataFrameModel


class IdentityModel(DataFrameModel):
    def __init__(self) -> None:
        self.factor = 2.0

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        doubled = df["x"] * self.factor
        return pd.DataFrame({"x": doubled, "label": df["label"]})
`;
export const INIT_LINE = 8;
export const PREDICT_LINE = 11;
