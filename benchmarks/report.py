"""What the benchmarks share: printing and writing their results, and running on one thread."""
from __future__ import annotations

import contextlib
import json
from pathlib import Path


def write_json(path, result) -> None:
    """`result` as JSON at `path` (its folder made first); nothing when `path` is None or empty."""
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(result, indent=1) + "\n")
        print(f"\nwrote {path}")


def print_table(header, rows) -> None:
    """A Markdown table: `header`, then one line per row (a tuple of cells)."""
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")


@contextlib.contextmanager
def one_thread():
    """PyTorch and NumPy's BLAS on one thread each, as NumPy's elementwise code always runs (and the notebooks)."""
    import torch
    from threadpoolctl import threadpool_limits

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1):
            yield
    finally:
        torch.set_num_threads(threads)
