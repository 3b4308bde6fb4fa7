"""Compare two arrays into a report a student can act on (shape, dtype, NaN/inf, errors, worst index)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Report:
    name: str
    ok: bool
    exact: bool
    problem: str  # "" when ok, else what went wrong first
    got_shape: tuple | None = None
    expected_shape: tuple | None = None
    max_abs: float = float("nan")
    max_rel: float = float("nan")
    worst_index: tuple | None = None
    got_value: float | None = None
    expected_value: float | None = None

    def __str__(self) -> str:
        if self.ok:
            kind = "exact" if self.exact else "close"
            return f"{self.name}: {kind} (max abs diff {self.max_abs:.2e}, max rel {self.max_rel:.2e})"
        return f"{self.name}: {self.problem}"

    def __bool__(self) -> bool:
        return self.ok



def torch_hint(type_name: str) -> str:
    """The hint for a value of `type_name` where an ndarray belongs (a tensor is a common slip)."""
    return " (a torch tensor: write this one in NumPy)" if "torch" in type_name else ""

def _fmt(v) -> str:
    return np.format_float_positional(v, precision=10, trim="-") if np.isfinite(v) else str(v)


def compare(got, expected, *, atol: float = 1e-7, rtol: float = 1e-6, name: str = "output",
            dtype: bool = False) -> Report:
    """Is `got` close to `expected`, elementwise |got - expected| <= atol + rtol * |expected|?

    NaN matches only NaN and an infinity only the same infinity. With `dtype=True` the dtypes must
    match too. The report names the first thing to fix: type, shape, dtype, non-finite values,
    then the worst element.
    """
    if expected is None:
        ok = got is None
        return Report(name, ok, ok, "" if ok else f"expected None, got {type(got).__name__}")
    if not isinstance(got, np.ndarray):
        if got is None:
            what = "None"
        else:
            what = f"{type(got).__module__}.{type(got).__qualname__}".replace("builtins.", "")
        return Report(name, False, False, f"expected a numpy.ndarray of shape {expected.shape}, got {what}"
                      f"{torch_hint(what)}",
                      expected_shape=expected.shape)
    if got.shape != expected.shape:
        return Report(name, False, False, f"shape {got.shape}, expected {expected.shape}",
                      got_shape=got.shape, expected_shape=expected.shape)
    if dtype and got.dtype != expected.dtype:
        return Report(name, False, False, f"dtype {got.dtype}, expected {expected.dtype} (keep the inputs' precision)",
                      got_shape=got.shape, expected_shape=expected.shape)
    if got.dtype.kind not in "fiub":
        return Report(name, False, False, f"dtype {got.dtype}, expected a real floating dtype like {expected.dtype}",
                      got_shape=got.shape, expected_shape=expected.shape)
    g = got.astype(np.float64)
    e = expected.astype(np.float64)
    if g.size == 0:
        return Report(name, True, True, "", got.shape, expected.shape, 0.0, 0.0)
    same_special = (np.isnan(g) & np.isnan(e)) | (np.isinf(g) & (g == e))
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(same_special, 0.0, np.abs(g - e))
        diff = np.where(np.isnan(diff), np.inf, diff)
        rel = diff / np.maximum(np.abs(np.where(np.isfinite(e), e, 1.0)), np.finfo(float).tiny)
        bad = diff > atol + rtol * np.abs(np.where(np.isfinite(e), e, 0.0))
    worst = np.unravel_index(int(np.argmax(np.where(bad, diff, -1.0) if bad.any() else diff)), g.shape)
    max_abs, max_rel = float(diff.max()), float(np.where(diff == 0, 0.0, rel).max())
    common = dict(got_shape=got.shape, expected_shape=expected.shape, max_abs=max_abs, max_rel=max_rel,
                  worst_index=tuple(int(i) for i in worst), got_value=float(g[worst]), expected_value=float(e[worst]))
    if not bad.any():
        return Report(name, True, bool((diff == 0).all()), "", **common)
    n_bad = int(bad.sum())
    nonfinite = ~np.isfinite(g) & ~same_special
    if nonfinite.any():
        first = tuple(int(i) for i in np.argwhere(nonfinite)[0])
        problem = (f"{int(nonfinite.sum())} non-finite value(s) (NaN/inf), first at index {first}: got {g[first]}, "
                   f"expected {_fmt(e[first])}")
        common.update(worst_index=first, got_value=float(g[first]), expected_value=float(e[first]))
    else:
        problem = (f"{n_bad} of {g.size} values differ; worst at index {common['worst_index']}: "
                   f"got {_fmt(g[worst])}, expected {_fmt(e[worst])} (abs diff {diff[worst]:.3g})")
    return Report(name, False, False, problem, **common)


def cmp(name: str, got, expected, **tol) -> Report:
    """Print one line, Karpathy-style: exact? close? max difference. Returns the report."""
    if hasattr(expected, "detach"):
        expected = expected.detach().cpu().double().numpy()
    r = compare(got, expected, name=name, **tol)
    print(r)
    return r
