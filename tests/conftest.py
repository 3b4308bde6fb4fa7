"""Make the repo importable without `pip install -e .` (plain `pytest` from a fresh clone)."""
import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
