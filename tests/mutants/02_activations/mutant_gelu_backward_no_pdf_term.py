"""Wrong derivative: Phi(x) only, the x * phi(x) term forgotten."""
# lose: test_gelu_backward
# names: the x * phi(x) term forgotten

# ---- gelu_backward
def gelu_backward(dout, cache):
    x = cache
    return dout * 0.5 * (1.0 + erf(x / np.sqrt(2.0)))
