"""Make the repo importable without `pip install -e .` (plain `pytest` from a fresh clone)."""
import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import pytest  # noqa: E402


@pytest.fixture
def one_blas_thread():
    """Small matrices on a shared machine: one BLAS thread (it changes the speed, never the results).
    Use it with `pytestmark = pytest.mark.usefixtures("one_blas_thread")`."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield
