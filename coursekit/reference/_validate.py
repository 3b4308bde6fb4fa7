"""Input checks shared by every reference op: clear errors that name the argument and shapes."""
from __future__ import annotations

import numbers

import numpy as np


def array(name: str, x, *, ndim: int | tuple[int, ...] | None = None, min_ndim: int = 0) -> np.ndarray:
    """Return `x` as a floating ndarray or raise TypeError/ValueError naming `name`.

    Integer and boolean arrays are promoted to float64; lists, tensors and scalars are refused
    (a torch tensor here almost always means the wrong library was called).
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(x).__module__}.{type(x).__qualname__}")
    if x.dtype.kind in "biu":
        x = x.astype(np.float64)
    elif x.dtype.kind != "f":
        raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if x.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be {want}, got shape {x.shape}")
    if x.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s), got shape {x.shape}")
    return x


def indices(name: str, x, what: str = "integer indices") -> np.ndarray:
    """`x` as an integer ndarray (class indices, token ids) or raise TypeError naming `name`."""
    if not isinstance(x, np.ndarray):
        t = type(x)
        raise TypeError(f"{name} must be a numpy.ndarray, got {t.__module__}.{t.__qualname__} ({what})")
    if x.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold {what}, got dtype {x.dtype}")
    return x


def same_shape(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{name_a} and {name_b} must have the same shape, "
                         f"got {name_a} {a.shape} and {name_b} {b.shape}")


def axis(name: str, dim, x: np.ndarray) -> int:
    """Normalise a `dim` argument (negative allowed, like PyTorch) for array `x`."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(dim).__name__}")
    if not -x.ndim <= dim < max(x.ndim, 1):
        raise ValueError(f"{name}={dim} is out of range for an input of shape {x.shape}")
    return int(dim) % max(x.ndim, 1)


def integer(name: str, v, minimum: int | None = None) -> int:
    """`v` as an int (bools refused) that is at least `minimum`; TypeError/ValueError naming `name`."""
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(v).__name__} {v!r}")
    if minimum is not None and v < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {v}")
    return int(v)


def generator(rng, name: str = "rng") -> np.random.Generator:
    """A numpy Generator from a Generator (used as is), an int seed or None (fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(f"{name} must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}")
