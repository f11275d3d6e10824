import type { ModelNames, TemplateSpec } from '../types';

/**
 * Both PyTorch templates keep the network in network.py (shared by model.py and train.py)
 * and store its state_dict as numpy arrays in data/weights.npz: no pickle, no torch.save,
 * so any torch version loads it.
 */
const loadWeights = `def load_weights(module: torch.nn.Module, path: str) -> torch.nn.Module:
    """Loads a state_dict saved by train.py as numpy arrays, and switches the module to inference."""
    with np.load(path) as arrays:
        module.load_state_dict({key: torch.from_numpy(arrays[key]) for key in arrays.files})
    return module.eval()`;

const saveWeights = `def save_weights(module: torch.nn.Module, path: Path) -> None:
    """The state_dict as numpy arrays: readable by any torch (and numpy) version, no pickle."""
    np.savez(path, **{key: value.detach().cpu().numpy() for key, value in module.state_dict().items()})`;

const CHURN_COLUMNS = '["tenure_months", "monthly_charges", "support_calls"]';

const dataframeNetwork = `"""The network of the churn model, shared by model.py and train.py."""
import torch
from torch import nn

FEATURES = ${CHURN_COLUMNS}


class ChurnNet(nn.Module):
    """Standardises the features with stored statistics, then a small MLP and a sigmoid."""

    def __init__(self, features: int = len(FEATURES), hidden: int = 8) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(features, dtype=torch.float64))
        self.register_buffer("std", torch.ones(features, dtype=torch.float64))
        self.layers = nn.Sequential(nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = ((x - self.mean) / self.std).to(torch.float32)
        return torch.sigmoid(self.layers(z)).squeeze(1)
`;

const dataframeModel = (n: ModelNames): string => `"""${n.className}: the probability that a customer churns, with a small PyTorch network.

The network is in network.py; its weights are in data/weights.npz (written by train.py)
as numpy arrays, which load with any torch version and need no pickle.
"""
import numpy as np
import pandas as pd
import torch
from network import ChurnNet
from pyml import DataFrameModel


${loadWeights}


class ${n.className}(DataFrameModel):
    def __init__(self) -> None:
        self.net = load_weights(ChurnNet(), self.data_path("weights.npz"))

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        x = torch.from_numpy(df[${CHURN_COLUMNS}].to_numpy(dtype=np.float64))
        with torch.no_grad():
            probability = self.net(x).numpy().astype(np.float64)
        return pd.DataFrame({"churn_probability": probability}, index=df.index)
`;

const dataframeTrain = (n: ModelNames): string => `"""Retrains ${n.className} and rewrites data/weights.npz.

Replace make_training_data() with your own data (pd.read_csv, a query ...), then run
    python3 train.py
and rebuild the image.
"""
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from network import FEATURES, ChurnNet

DATA = Path(__file__).resolve().parent / "data"


def make_training_data(rows: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Synthetic customers: short tenure, high charges and many support calls raise churn."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(0, 72, rows)
    charges = rng.uniform(20.0, 120.0, rows)
    calls = rng.poisson(1.5, rows)
    logit = -1.0 - 0.05 * tenure + 0.03 * (charges - 70.0) + 0.6 * calls
    churned = rng.uniform(size=rows) < 1.0 / (1.0 + np.exp(-logit))
    return pd.DataFrame(
        {"tenure_months": tenure, "monthly_charges": charges, "support_calls": calls, "churned": churned}
    )


${saveWeights}


def main(epochs: int = 300) -> None:
    torch.manual_seed(0)
    df = make_training_data()
    x = torch.from_numpy(df[FEATURES].to_numpy(dtype=np.float64))
    y = torch.from_numpy(df["churned"].to_numpy(dtype=np.float32))
    net = ChurnNet()
    net.mean.copy_(x.mean(dim=0))
    net.std.copy_(x.std(dim=0))
    optimiser = torch.optim.Adam(net.parameters(), lr=0.05)
    loss_fn = torch.nn.BCELoss()
    for _ in range(epochs):
        optimiser.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        optimiser.step()
    DATA.mkdir(exist_ok=True)
    save_weights(net, DATA / "weights.npz")
    print(f"wrote {DATA / 'weights.npz'} (training loss {loss.item():.3f})")


if __name__ == "__main__":
    main()
`;

const tensorNetwork = `"""The network of the bars model, shared by model.py and train.py."""
import torch
from torch import nn

CLASSES = ["horizontal", "vertical"]


class BarsNet(nn.Module):
    """A tiny CNN: 1 x 8 x 8 image -> convolution, ReLU, max-pool -> linear -> 2 logits."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(4 * 4 * 4, len(CLASSES))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.pool(torch.relu(self.conv(x))).flatten(1))
`;

const tensorModel = (n: ModelNames): string => `"""${n.className}: is the bar in an 8 x 8 image horizontal or vertical? A tiny PyTorch CNN.

The network is in network.py; its weights are in data/weights.npz (written by train.py)
as numpy arrays, which load with any torch version and need no pickle.
"""
import numpy as np
import torch
from network import BarsNet
from pyml import TensorModel


${loadWeights}


class ${n.className}(TensorModel):
    def __init__(self) -> None:
        self.net = load_weights(BarsNet(), self.data_path("weights.npz"))

    def predict(self, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        images = torch.from_numpy(np.asarray(tensors["image"], dtype=np.float32))
        with torch.no_grad():
            probabilities = torch.softmax(self.net(images), dim=1).numpy()
        return {
            "probabilities": probabilities.astype(np.float32),
            "label": probabilities.argmax(axis=1).astype(np.int64),
        }
`;

const tensorTrain = (n: ModelNames): string => `"""Retrains ${n.className} and rewrites data/weights.npz.

Replace make_training_data() with your own images, then run
    python3 train.py
and rebuild the image.
"""
from pathlib import Path

import numpy as np
import torch
from network import BarsNet

DATA = Path(__file__).resolve().parent / "data"


def make_training_data(count: int = 1000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Noisy 8 x 8 images with one bright bar: label 0 horizontal, 1 vertical."""
    rng = np.random.default_rng(seed)
    images = rng.uniform(0.0, 0.3, size=(count, 1, 8, 8)).astype(np.float32)
    labels = rng.integers(0, 2, count)
    rows = rng.integers(0, 8, count)
    for i, (label, row) in enumerate(zip(labels, rows)):
        if label == 0:
            images[i, 0, row, :] = 1.0
        else:
            images[i, 0, :, row] = 1.0
    return images, labels.astype(np.int64)


${saveWeights}


def main(epochs: int = 60) -> None:
    torch.manual_seed(0)
    images, labels = make_training_data()
    x, y = torch.from_numpy(images), torch.from_numpy(labels)
    net = BarsNet()
    optimiser = torch.optim.Adam(net.parameters(), lr=0.02)
    loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(epochs):
        optimiser.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        optimiser.step()
    DATA.mkdir(exist_ok=True)
    save_weights(net, DATA / "weights.npz")
    accuracy = (net(x).argmax(dim=1) == y).float().mean().item()
    print(f"wrote {DATA / 'weights.npz'} (training accuracy {accuracy:.1%})")


if __name__ == "__main__":
    main()
`;

const BAR = (orientation: 'h' | 'v', at: number): number[][][] =>
  [Array.from({ length: 8 }, (_, r) => Array.from({ length: 8 }, (_, c) => ((orientation === 'h' ? r : c) === at ? 1 : 0.1)))];

export const TORCH: TemplateSpec = {
  id: 'torch',
  label: 'PyTorch',
  description: 'a torch.nn.Module with weights stored as numpy arrays (no pickle)',
  kinds: {
    dataframe: {
      summary: 'The probability that a customer churns, with a small PyTorch network',
      inputs: [
        { name: 'tenure_months', dtype: 'int64', description: 'months since the customer signed up' },
        { name: 'monthly_charges', dtype: 'float64', description: 'monthly bill' },
        { name: 'support_calls', dtype: 'int64', description: 'support calls in the last quarter' },
      ],
      outputs: [{ name: 'churn_probability', dtype: 'float64', description: 'probability that the customer leaves' }],
      requirements: ['numpy>=1.24', 'pandas>=1.5', "# not '>=1.13': Debian's python3-torch 1.13.1 calls itself 1.13.0a0", 'torch>=1.12'],
      sources: (n) => ({ 'model.py': dataframeModel(n), 'network.py': dataframeNetwork, 'train.py': dataframeTrain(n) }),
      sampleInputs: {
        tenure_months: [2, 30, 70],
        monthly_charges: [99.5, 60.0, 25.0],
        support_calls: [4, 1, 0],
      },
      readme:
        '`ChurnNet` in `network.py` standardises the three features with statistics stored as buffers, then runs a\n' +
        'two-layer MLP and a sigmoid. `data/weights.npz` is its `state_dict` as numpy arrays: it loads with any torch\n' +
        'version, unlike `torch.save` pickles.',
    },
    tensor: {
      summary: 'Horizontal or vertical bar in an 8 x 8 image, with a tiny PyTorch CNN',
      inputs: [{ name: 'image', dtype: 'float32', shape: [-1, 1, 8, 8], description: 'grey levels 0-1, one channel' }],
      outputs: [
        { name: 'probabilities', dtype: 'float32', shape: [-1, 2], description: 'probability of horizontal, vertical' },
        { name: 'label', dtype: 'int64', shape: [-1], description: '0 horizontal, 1 vertical' },
      ],
      requirements: ['numpy>=1.24', "# not '>=1.13': Debian's python3-torch 1.13.1 calls itself 1.13.0a0", 'torch>=1.12'],
      sources: (n) => ({ 'model.py': tensorModel(n), 'network.py': tensorNetwork, 'train.py': tensorTrain(n) }),
      sampleInputs: { image: [BAR('h', 2), BAR('v', 5)] },
      readme:
        '`BarsNet` in `network.py` is a convolution, a ReLU, a max-pool and a linear layer. `data/weights.npz` is its\n' +
        '`state_dict` as numpy arrays: it loads with any torch version, unlike `torch.save` pickles.',
    },
  },
};
