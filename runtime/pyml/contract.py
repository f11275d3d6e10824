"""The PyML contract: the base classes a model derives from.

    class ChurnModel(DataFrameModel):
        def __init__(self):
            self.clf = joblib.load(self.data_path("model.joblib"))

        def predict(self, df: pd.DataFrame) -> pd.DataFrame:
            return pd.DataFrame({"churn_probability": self.clf.predict_proba(df)[:, 1]})

This module imports neither pandas nor gRPC, so `import pyml` stays cheap.
"""

import abc
import contextvars
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Optional

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

# Set by the loader while it constructs the model, so data_path() works inside
# __init__ without the user calling super().__init__().
_LOADING_DIR: "contextvars.ContextVar[Optional[Path]]" = contextvars.ContextVar("pyml_loading_dir", default=None)


class Model(abc.ABC):
    """Common base: knows the model folder. Derive from DataFrameModel or TensorModel."""

    _pyml_model_dir: Path

    def __new__(cls, *args: Any, **kwargs: Any) -> "Model":
        obj = super().__new__(cls)
        obj._pyml_model_dir = _LOADING_DIR.get() or _folder_of(cls)
        return obj

    @property
    def model_dir(self) -> Path:
        """The model folder (the one holding pyml.yaml)."""
        return self._pyml_model_dir

    def data_path(self, *parts: str) -> Path:
        """A path inside `<model folder>/data/`, e.g. self.data_path("model.joblib").

        Raises ValueError for a path that leaves data/ ("../x", "/etc/x").
        The file need not exist (the model may write there).
        """
        data = (self._pyml_model_dir / "data").resolve()
        path = data.joinpath(*parts).resolve() if parts else data
        if path != data and data not in path.parents:
            raise ValueError("data_path(%s) leaves the model's data/ folder" % ", ".join(repr(p) for p in parts))
        return path


class DataFrameModel(Model):
    """A model whose predict takes and returns a pandas DataFrame.

    Input columns arrive as declared in pyml.yaml `inputs` (dtype, order);
    the returned DataFrame must have the `outputs` columns.
    """

    @abc.abstractmethod
    def predict(self, df: "pd.DataFrame") -> "pd.DataFrame":
        """Return one output DataFrame for the input DataFrame."""


class TensorModel(Model):
    """A model whose predict takes and returns a dict of named numpy arrays.

    Input arrays are the model's own (writable, C-contiguous), in the dtype and
    shape that pyml.yaml declares.
    """

    @abc.abstractmethod
    def predict(self, tensors: "Dict[str, np.ndarray]") -> "Dict[str, np.ndarray]":
        """Return the output arrays, by name, for the input arrays."""


def _folder_of(cls: type) -> Path:
    """The folder of the file that defines cls (used outside the server, e.g. in a notebook)."""
    module = sys.modules.get(cls.__module__)
    file = getattr(module, "__file__", None)
    return Path(file).resolve().parent if file else Path(os.getcwd())
