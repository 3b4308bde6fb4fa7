"""GELU with the standard library's math.erf, vectorised by hand, and the derivative written out."""

# ---- gelu_forward
import math

def _phi_cdf(x):
    flat = [0.5 * (1.0 + math.erf(v / math.sqrt(2.0))) for v in np.ravel(x)]
    return np.array(flat, dtype=float).reshape(np.shape(x))

def gelu_forward(x):
    return x * _phi_cdf(x), x

# ---- gelu_backward
def gelu_backward(dout, cache):
    x = cache
    return dout * (_phi_cdf(x) + x * np.exp(-x * x / 2.0) / math.sqrt(2.0 * math.pi))
