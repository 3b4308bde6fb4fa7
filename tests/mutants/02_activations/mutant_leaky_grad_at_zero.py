"""Gradient 1 at exactly 0 (mask x >= 0; PyTorch uses negative_slope there)."""
# lose: test_leaky_relu_backward
# names: a gradient of 1 at x = 0

# ---- leaky_relu_backward
def leaky_relu_backward(dout, cache):
    x, negative_slope = cache
    return np.where(x >= 0, dout, negative_slope * dout)
