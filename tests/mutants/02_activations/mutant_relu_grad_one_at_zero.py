"""Gradient 1 at relu(0): mask x >= 0 (PyTorch uses 0 at exactly 0)."""
# lose: test_relu_backward
# names: a gradient of 1 at x = 0

# ---- relu_backward
def relu_backward(dout, cache):
    return dout * (cache >= 0)
