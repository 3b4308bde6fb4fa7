"""Right, and noisy: prints to stdout and stderr, warns, writes to fd 2, inside the functions and at top level."""

# ---- linear_forward
import os
import sys
import warnings

def linear_forward(x, weight, bias=None):
    print("forward", x.shape, weight.shape)
    print("debug: forward called", file=sys.stderr)
    warnings.warn("linear_forward: just checking")
    out = x @ weight.T
    if bias is not None:
        out = out + bias
    return out, (x, weight, bias)

print("my forward is ready", file=sys.stderr)

# ---- linear_backward
def linear_backward(dout, cache):
    os.write(2, b"raw write to stderr\n")
    warnings.warn("backward warning", RuntimeWarning)
    x, weight, bias = cache
    x2 = x.reshape(-1, x.shape[-1])
    dout2 = dout.reshape(-1, weight.shape[0])
    return dout @ weight, dout2.T @ x2, None if bias is None else dout2.sum(axis=0)
