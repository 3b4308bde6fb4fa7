"""Wrong derivative: 1 - tanh(x) instead of 1 - tanh(x)^2."""
# lose: test_tanh_backward
# names: 1 - tanh(x) instead of 1 - tanh(x)^2

# ---- tanh_backward
def tanh_backward(dout, cache):
    return dout * (1.0 - cache)
