"""Chapter 02 - activations, each forward beside its backward.

Every forward takes an array `x` of any shape and returns `(out, cache)` with `out` of the same
shape; every backward takes `(dout, cache)` and returns `dx` of that shape.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import erf  # NumPy has no vectorised erf; scipy comes with scikit-learn

from ._validate import array, axis, same_shape

_SQRT2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _dout(dout, out):
    dout = array("dout", dout)
    same_shape("dout", dout, "the forward output", out)
    return dout


def sigmoid_forward(x):
    """Logistic sigmoid 1 / (1 + e^-x), stable for |x| = 1000 (only exp of -|x| is taken)."""
    x = array("x", x)
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return out, out


def sigmoid_backward(dout, cache):
    """sigma'(x) = sigma(x) (1 - sigma(x)); the cache is the forward output."""
    out = cache
    return _dout(dout, out) * out * (1.0 - out)


def tanh_forward(x):
    """Hyperbolic tangent."""
    out = np.tanh(array("x", x))
    return out, out


def tanh_backward(dout, cache):
    """tanh'(x) = 1 - tanh(x)^2; the cache is the forward output."""
    out = cache
    return _dout(dout, out) * (1.0 - out * out)


def relu_forward(x):
    """max(x, 0)."""
    x = array("x", x)
    return np.maximum(x, 0.0), x


def relu_backward(dout, cache):
    """Gradient 1 where x > 0, else 0 (0 at exactly x = 0, as in PyTorch)."""
    x = cache
    return _dout(dout, x) * (x > 0)


def leaky_relu_forward(x, negative_slope=0.01):
    """x where x > 0, negative_slope * x elsewhere (`F.leaky_relu`)."""
    x = array("x", x)
    return np.where(x > 0, x, negative_slope * x), (x, negative_slope)


def leaky_relu_backward(dout, cache):
    """Gradient 1 where x > 0, negative_slope elsewhere (x = 0 included, as in PyTorch)."""
    x, negative_slope = cache
    dout = _dout(dout, x)
    return np.where(x > 0, dout, negative_slope * dout)


def gelu_forward(x, approximate="none"):
    """GELU, x * Phi(x) with Phi the standard normal CDF (`F.gelu`).

    approximate="none" uses the exact erf; "tanh" the tanh approximation.
    """
    x = array("x", x)
    if approximate == "none":
        cdf = 0.5 * (1.0 + erf(x / _SQRT2))
    elif approximate == "tanh":
        cdf = 0.5 * (1.0 + np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3)))
    else:
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    return x * cdf, (x, approximate)


def gelu_backward(dout, cache):
    """d/dx [x Phi(x)] = Phi(x) + x phi(x) (exact), or the derivative of the tanh form."""
    x, approximate = cache
    dout = _dout(dout, x)
    if approximate == "none":
        cdf = 0.5 * (1.0 + erf(x / _SQRT2))
        pdf = np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
        return dout * (cdf + x * pdf)
    inner = _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
    t = np.tanh(inner)
    dinner = _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * x * x)
    return dout * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * dinner)


def softmax_forward(x, dim=-1):
    """exp(x) / sum(exp(x)) along `dim`; the row maximum is subtracted first, so |x| = 1000 is fine."""
    x = array("x", x, min_ndim=1)
    d = axis("dim", dim, x)
    e = np.exp(x - x.max(axis=d, keepdims=True))
    out = e / e.sum(axis=d, keepdims=True)
    return out, (out, d)


def softmax_backward(dout, cache):
    """dx = s * (dout - sum(dout * s)) along `dim` (the Jacobian-vector product, no Jacobian)."""
    out, d = cache
    dout = _dout(dout, out)
    return out * (dout - (dout * out).sum(axis=d, keepdims=True))


def log_softmax_forward(x, dim=-1):
    """x - logsumexp(x) along `dim`, computed directly (never log of softmax, which underflows)."""
    x = array("x", x, min_ndim=1)
    d = axis("dim", dim, x)
    shifted = x - x.max(axis=d, keepdims=True)
    out = shifted - np.log(np.exp(shifted).sum(axis=d, keepdims=True))
    return out, (out, d)


def log_softmax_backward(dout, cache):
    """dx = dout - softmax(x) * sum(dout) along `dim`."""
    out, d = cache
    dout = _dout(dout, out)
    return dout - np.exp(out) * dout.sum(axis=d, keepdims=True)


ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "gelu", "softmax", "log_softmax")
