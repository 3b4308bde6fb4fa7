"""Right, and noisy: prints to stdout and stderr, warns, writes to fd 2, inside the functions and at top level."""

# ---- gelu_forward
import os
import sys
import warnings

def gelu_forward(x):
    print("gelu_forward", x.shape, file=sys.stderr)
    warnings.warn("gelu: checking", UserWarning)
    return x * 0.5 * (1.0 + erf(x / np.sqrt(2.0))), x

print("gelu ready", file=sys.stderr)
warnings.warn("top-level warning")

# ---- gelu_backward
def gelu_backward(dout, cache):
    os.write(2, b"gelu_backward on fd 2\n")
    print("gelu_backward")
    x = cache
    cdf = 0.5 * (1.0 + erf(x / np.sqrt(2.0)))
    return dout * (cdf + x * np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi))
