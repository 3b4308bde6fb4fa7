"""Assignment 02_activations: the solutions of its answer cells.

assignments/build_sources.py copies each function below, from its `def` line to its
`### END SOLUTION`, into the answer cell of the same name (assignment.md places the cells):
edit here, then run `python assignments/build_sources.py`.
"""
import numpy as np

# BEGIN SETUP: the lines up to END SETUP also go into the notebook's read-only first cell
from scipy.special import erf  # erf(x), elementwise: allowed for gelu

# END SETUP


def sigmoid_forward(x):
    """Logistic sigmoid, elementwise, stable for |x| = 1000.

    x: ndarray of any shape. Returns (out, cache): out = 1 / (1 + exp(-x)), the shape of x,
    and a cache for sigmoid_backward (e.g. out itself).
    """
    ### BEGIN SOLUTION
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return out, out
    ### END SOLUTION


def sigmoid_backward(dout, cache):
    """Gradient of sigmoid_forward.

    dout: the shape of x; cache: what your sigmoid_forward returned.
    Returns dx = dout * sigmoid(x) * (1 - sigmoid(x)), the shape of x.
    """
    ### BEGIN SOLUTION
    out = cache
    return dout * out * (1.0 - out)
    ### END SOLUTION


def tanh_forward(x):
    """Hyperbolic tangent, elementwise. Returns (out, cache); out has the shape of x."""
    ### BEGIN SOLUTION
    out = np.tanh(x)
    return out, out
    ### END SOLUTION


def tanh_backward(dout, cache):
    """Gradient of tanh_forward: dx = dout * (1 - tanh(x)**2), the shape of x."""
    ### BEGIN SOLUTION
    out = cache
    return dout * (1.0 - out * out)
    ### END SOLUTION


def relu_forward(x):
    """max(x, 0) elementwise. Returns (out, cache): out has the shape of x; cache, e.g. x."""
    ### BEGIN SOLUTION
    out = np.maximum(x, 0.0)
    return out, x
    ### END SOLUTION


def relu_backward(dout, cache):
    """Gradient of relu_forward: dout where x > 0, 0 elsewhere (0 at exactly x = 0)."""
    ### BEGIN SOLUTION
    x = cache
    return dout * (x > 0)
    ### END SOLUTION


def leaky_relu_forward(x, negative_slope=0.01):
    """x where x > 0, negative_slope * x elsewhere (F.leaky_relu).

    Returns (out, cache): out has the shape of x; cache, e.g. (x, negative_slope).
    """
    ### BEGIN SOLUTION
    out = np.where(x > 0, x, negative_slope * x)
    return out, (x, negative_slope)
    ### END SOLUTION


def leaky_relu_backward(dout, cache):
    """Gradient of leaky_relu_forward: dout where x > 0, negative_slope * dout elsewhere."""
    ### BEGIN SOLUTION
    x, negative_slope = cache
    return np.where(x > 0, dout, negative_slope * dout)
    ### END SOLUTION


def gelu_forward(x):
    """Exact GELU, x * Phi(x) with Phi(x) = (1 + erf(x / sqrt(2))) / 2, elementwise.

    Returns (out, cache): out has the shape of x; cache, e.g. x.
    """
    ### BEGIN SOLUTION
    cdf = 0.5 * (1.0 + erf(x / np.sqrt(2.0)))
    return x * cdf, x
    ### END SOLUTION


def gelu_backward(dout, cache):
    """Gradient of gelu_forward: dx = dout * (Phi(x) + x * phi(x)), the shape of x."""
    ### BEGIN SOLUTION
    x = cache
    cdf = 0.5 * (1.0 + erf(x / np.sqrt(2.0)))
    pdf = np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)
    return dout * (cdf + x * pdf)
    ### END SOLUTION


def softmax_forward(x, dim=-1):
    """Softmax along axis `dim` (any axis, negative allowed), stable for |x| = 1000.

    x: ndarray, at least 1-D. Returns (out, cache): out has the shape of x and sums to 1
    along dim; cache, e.g. (out, dim).
    """
    ### BEGIN SOLUTION
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    out = e / e.sum(axis=dim, keepdims=True)
    return out, (out, dim)
    ### END SOLUTION


def softmax_backward(dout, cache):
    """Gradient of softmax_forward: dx = s * (dout - sum(dout * s, dim)), the shape of x."""
    ### BEGIN SOLUTION
    out, dim = cache
    return out * (dout - (dout * out).sum(axis=dim, keepdims=True))
    ### END SOLUTION


def log_softmax_forward(x, dim=-1):
    """log(softmax(x)) along axis `dim`, computed stably (log-sum-exp).

    Returns (out, cache): out has the shape of x; cache, e.g. (out, dim).
    """
    ### BEGIN SOLUTION
    shifted = x - x.max(axis=dim, keepdims=True)
    out = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
    return out, (out, dim)
    ### END SOLUTION


def log_softmax_backward(dout, cache):
    """Gradient of log_softmax_forward: dx = dout - softmax(x) * sum(dout, dim), the shape of x."""
    ### BEGIN SOLUTION
    out, dim = cache
    return dout - np.exp(out) * dout.sum(axis=dim, keepdims=True)
    ### END SOLUTION
