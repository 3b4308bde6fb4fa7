"""The PyTorch side of every comparison: device choice, float64, TF32 off, numpy <-> torch.

`COURSEKIT_DEVICE=cpu|cuda|auto` (default auto: CUDA when present). torch is imported lazily so
that `import coursekit` stays fast for widgets and the grading sandbox.
"""
from __future__ import annotations

import os

import numpy as np

_VALID = ("auto", "cpu", "cuda")


def torch():
    """The torch module, configured for exact comparisons (TF32 off)."""
    import torch as _torch

    _torch.backends.cuda.matmul.allow_tf32 = False
    _torch.backends.cudnn.allow_tf32 = False
    return _torch


def device(choice: str | None = None):
    """The torch.device to compare on: `choice`, else $COURSEKIT_DEVICE, else auto."""
    t = torch()
    choice = (choice or os.environ.get("COURSEKIT_DEVICE") or "auto").strip().lower()
    if choice not in _VALID:
        raise ValueError(f"COURSEKIT_DEVICE must be one of {', '.join(_VALID)}, got {choice!r}")
    if choice == "cuda" and not t.cuda.is_available():
        raise RuntimeError("COURSEKIT_DEVICE=cuda but torch sees no CUDA device; use cpu or auto")
    if choice == "auto":
        choice = "cuda" if t.cuda.is_available() else "cpu"
    return t.device(choice)


def to_torch(a, *, requires_grad: bool = False, dev=None):
    """ndarray -> tensor on `dev` (default `device()`): float64 (a fresh copy, optionally a leaf
    that requires grad), int64 for integer arrays (class indices), bool for masks; None stays None."""
    if a is None:
        return None
    t = torch()
    dev = dev or device()
    a = np.asarray(a)
    if a.dtype.kind == "b":
        return t.as_tensor(a, device=dev)
    if a.dtype.kind in "iu":
        return t.as_tensor(a.astype(np.int64), device=dev)
    return t.tensor(a, dtype=t.float64, device=dev, requires_grad=requires_grad)


def to_numpy(t):
    """tensor -> float64 ndarray on the host; None stays None."""
    if t is None:
        return None
    return t.detach().to("cpu", dtype=torch().float64).numpy().copy()
