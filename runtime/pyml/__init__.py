"""PyML: the model contract and the Open Inference Protocol (V2) runtime.

A model derives from DataFrameModel or TensorModel; `python3 -m pyml serve`
serves it over gRPC. See runtime/README.md.
"""

from .contract import DataFrameModel, Model, TensorModel

__version__ = "0.1.0"

__all__ = ["DataFrameModel", "Model", "TensorModel", "__version__"]
