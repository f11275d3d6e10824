"""runtime/pyml/satisfied.py: skip pip when the image already has every requirement."""

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "runtime" / "pyml" / "satisfied.py"


def check(tmp_path, text):
    req = tmp_path / "requirements.txt"
    req.write_text(text)
    return subprocess.run([sys.executable, str(SCRIPT), str(req)], capture_output=True, text=True, timeout=60).returncode


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# only comments\n\n",
        "numpy>=1.24\npandas>=1.5  # the runtime's\nPyYAML\n",
        "grpcio>=1.51,<2\nprotobuf>=3.21,<8\n",
        'numpy>=1.24; python_version >= "3"\nnot-installed-anywhere; python_version < "3"\n',
    ],
)
def test_installed_requirements_are_satisfied(tmp_path, text):
    assert check(tmp_path, text) == 0


@pytest.mark.parametrize(
    "text",
    [
        "not-installed-anywhere\n",
        "numpy<1\n",
        "numpy[extra]>=1\n",
        "-r other.txt\n",
        "--index-url http://example.invalid/simple\nnumpy\n",
        "pkg @ https://example.invalid/pkg.whl\n",
        "this is not a requirement\n",
    ],
)
def test_anything_else_goes_to_pip(tmp_path, text):
    assert check(tmp_path, text) == 1


def test_the_runtime_requirements_hold_on_this_stack(tmp_path):
    text = (SCRIPT.parents[1] / "requirements.txt").read_text()
    assert check(tmp_path, text) == 0, "runtime/requirements.txt is not satisfied by this stack's packages"
