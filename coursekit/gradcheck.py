"""Central-difference numerical gradients, sampled for large inputs."""
from __future__ import annotations

import numpy as np

from .compare import Report, compare


def _dot(out, dout) -> float:
    """sum(out * dout); for an op of several outputs, both are tuples and the sums add up."""
    if isinstance(dout, tuple):
        return sum(float(np.sum(o * d)) for o, d in zip(out, dout))
    return float(np.sum(out * dout))


def numerical_gradient(f, x: np.ndarray, dout, *, eps: float = 1e-6,
                       max_coords: int | None = 64, rng=None):
    """d/dx of sum(f(x) * dout), by central differences at up to `max_coords` coordinates.

    f: x -> array shaped like dout (or a tuple of arrays, with dout a tuple of their upstream
    gradients); x is perturbed in a private copy, never in place.
    Returns (flat indices, gradient values at those indices).
    """
    x = np.array(x, dtype=np.float64)  # private copy
    flat = x.reshape(-1)
    idx = np.arange(flat.size)
    if max_coords is not None and flat.size > max_coords:
        rng = rng if rng is not None else np.random.default_rng(0)
        idx = np.sort(rng.choice(flat.size, size=max_coords, replace=False))
    grad = np.empty(idx.size)
    for k, i in enumerate(idx):
        old = flat[i]
        h = eps * max(1.0, abs(old))
        flat[i] = old + h
        plus = _dot(f(x), dout)
        flat[i] = old - h
        minus = _dot(f(x), dout)
        flat[i] = old
        grad[k] = (plus - minus) / (2 * h)
    return idx, grad


def gradcheck(forward, inputs: dict, analytic: dict, dout, *, kwargs=None, atol: float = 1e-6, rtol: float = 1e-5,
              max_coords: int | None = 64) -> dict:
    """Compare analytic gradients with numerical ones for every float input of `forward`.

    forward(*inputs.values(), **kwargs) -> (out, cache); `analytic` maps input name -> gradient.
    At most `max_coords` coordinates per input, drawn with a fixed seed (None: all). Returns
    {name: Report}.
    """
    kwargs = kwargs or {}
    names = list(inputs)
    reports = {}
    rng = np.random.default_rng(0)
    for name in names:
        x = inputs[name]
        if x is None or analytic.get(name) is None:
            continue

        def f(xv, name=name):
            args = [xv if n == name else inputs[n] for n in names]
            return forward(*args, **kwargs)[0]

        idx, num = numerical_gradient(f, x, dout, max_coords=max_coords, rng=rng)
        got = np.asarray(analytic[name], dtype=np.float64).reshape(-1)
        if got.size != x.size:
            reports[name] = Report(f"d{name}", False, False, f"gradient has {got.size} values, {name} has {x.size}")
            continue
        reports[name] = compare(got[idx], num, atol=atol, rtol=rtol, name=f"d{name} (numerical, {idx.size} coords)")
    return reports
