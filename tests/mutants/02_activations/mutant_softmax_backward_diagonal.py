"""Backward with the Jacobian's diagonal only: dout * s * (1 - s)."""
# lose: test_softmax_backward
# names: the Jacobian's diagonal only

# ---- softmax_backward
def softmax_backward(dout, cache):
    out, dim = cache
    return dout * out * (1.0 - out)
