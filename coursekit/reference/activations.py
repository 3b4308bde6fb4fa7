"""Chapter 02 - activations, each forward beside its backward.

Every forward takes an array `x` of any shape and returns `(out, cache)` with `out` of the same
shape; every backward takes `(dout, cache)` and returns `dx` of that shape.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr  # the normal CDF: NumPy has no vectorised erf; scipy comes with scikit-learn

from ._validate import array, axis, same_shape

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _dout(dout, out):
    dout = array("dout", dout)
    same_shape("dout", dout, "the forward output", out)
    return dout


def sigmoid_forward(x):
    """Logistic sigmoid 1 / (1 + e^-x), stable for |x| = 1000.

    Written e^min(x, 0) / (1 + e^-|x|), equal to it for either sign: no exponent is ever positive, so
    nothing overflows and sigmoid(-40) keeps its 4e-18, with no branch on the sign (np.where is slow).
    """
    x = array("x", x)
    out = np.exp(np.minimum(x, 0.0))
    out /= 1.0 + np.exp(-np.abs(x))
    return out, out


def sigmoid_backward(dout, cache):
    """sigma'(x) = sigma(x) (1 - sigma(x)); the cache is the forward output."""
    out = cache
    dout = _dout(dout, out)
    dx = 1.0 - out  # one new array, then updated in place
    dx *= out
    dx *= dout
    return dx


def tanh_forward(x):
    """Hyperbolic tangent."""
    out = np.tanh(array("x", x))
    return out, out


def tanh_backward(dout, cache):
    """tanh'(x) = 1 - tanh(x)^2; the cache is the forward output."""
    out = cache
    dout = _dout(dout, out)
    dx = 1.0 - np.square(out)
    dx *= dout
    return dx


def relu_forward(x):
    """max(x, 0)."""
    x = array("x", x)
    return np.maximum(x, 0.0), x


def relu_backward(dout, cache):
    """Gradient 1 where x > 0, else 0 (0 at exactly x = 0, as in PyTorch)."""
    x = cache
    return _dout(dout, x) * (x > 0)


def leaky_relu_forward(x, negative_slope=0.01):
    """x where x > 0, negative_slope * x elsewhere (`F.leaky_relu`).

    Written max(x, 0) + negative_slope * min(x, 0): plain arithmetic, no per-element branch (np.where).
    """
    x = array("x", x)
    out = np.minimum(x, 0.0)
    out *= negative_slope
    out += np.maximum(x, 0.0)
    return out, (x, negative_slope)


def leaky_relu_backward(dout, cache):
    """Gradient 1 where x > 0, negative_slope elsewhere (x = 0 included, as in PyTorch).

    The slope is negative_slope + (1 - negative_slope) * [x > 0], arithmetic on the mask (np.where branches).
    """
    x, negative_slope = cache
    dout = _dout(dout, x)
    slope = (x > 0).astype(np.result_type(x, dout))
    slope *= 1.0 - negative_slope
    slope += negative_slope
    slope *= dout
    return slope


def gelu_forward(x, approximate="none"):
    """GELU, x * Phi(x) with Phi the standard normal CDF (`F.gelu`).

    approximate="none" uses the exact Phi (scipy's ndtr, 1/2 (1 + erf(x / sqrt 2))); "tanh" the
    tanh approximation. The cache keeps Phi(x) for the backward, so erf is evaluated once.
    """
    x = array("x", x)
    if approximate == "none":
        cdf = ndtr(x)
    elif approximate == "tanh":
        cdf = np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3))
        cdf += 1.0
        cdf *= 0.5
    else:
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    return x * cdf, (x, approximate, cdf)


def gelu_backward(dout, cache):
    """d/dx [x Phi(x)] = Phi(x) + x phi(x) (exact), or the derivative of the tanh form."""
    x, approximate, cdf = cache
    dout = _dout(dout, x)
    if approximate == "none":
        dx = np.exp(-0.5 * np.square(x))  # then x phi(x) = x exp(-x^2 / 2) / sqrt(2 pi)
        dx *= x
        dx *= _INV_SQRT_2PI
    else:
        t = np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3))
        dinner = _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * x * x)
        dx = 0.5 * x * (1.0 - t * t) * dinner
    dx += cdf
    dx *= dout
    return dx


def sum_of_products(a, b, axes=-1):
    """sum(a * b) over `axes` (an int or a tuple), kept with size 1: one einsum, which never builds a * b."""
    axes = tuple(ax % a.ndim for ax in ((axes,) if np.isscalar(axes) else axes))
    k, last = "ijklmn"[:len(axes)], range(-len(axes), 0)
    prod = np.einsum(f"...{k},...{k}->...", np.moveaxis(a, axes, last), np.moveaxis(b, axes, last))
    return np.expand_dims(prod, axes)


def softmax_forward(x, dim=-1):
    """exp(x) / sum(exp(x)) along `dim`; the row maximum is subtracted first, so |x| = 1000 is fine.

    Each row is multiplied by 1 / its sum: one division per row, not one per element."""
    x = array("x", x, min_ndim=1)
    d = axis("dim", dim, x)
    out = x - x.max(axis=d, keepdims=True)  # one new array: exp and the scaling happen in place
    np.exp(out, out=out)
    out *= 1.0 / out.sum(axis=d, keepdims=True)
    return out, (out, d)


def softmax_backward(dout, cache):
    """dx = s * (dout - sum(dout * s)) along `dim` (the Jacobian-vector product, no Jacobian)."""
    out, d = cache
    dout = _dout(dout, out)
    dx = dout - sum_of_products(dout, out, d)
    dx *= out
    return dx


def log_softmax_forward(x, dim=-1):
    """x - logsumexp(x) along `dim`, computed directly (never log of softmax, which underflows)."""
    x = array("x", x, min_ndim=1)
    d = axis("dim", dim, x)
    out = x - x.max(axis=d, keepdims=True)  # shifted, then minus log-sum-exp in place
    out -= np.log(np.exp(out).sum(axis=d, keepdims=True))
    return out, (out, d)


def log_softmax_backward(dout, cache):
    """dx = dout - softmax(x) * sum(dout) along `dim`."""
    out, d = cache
    dout = _dout(dout, out)
    dx = np.exp(out)
    dx *= -dout.sum(axis=d, keepdims=True)
    dx += dout
    return dx


ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "gelu", "softmax", "log_softmax")
