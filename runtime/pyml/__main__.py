"""`python3 -m pyml serve MODEL_DIR --socket PATH` (see cli.py)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
