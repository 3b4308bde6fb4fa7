"""Returns a zero array as dbias when the layer has no bias (PyTorch: no gradient, None)."""
# lose: test_linear_backward
# names: a dbias without a bias

# ---- linear_backward
def linear_backward(dout, cache):
    x, weight, bias = cache
    x2 = x.reshape(-1, x.shape[-1])
    dout2 = dout.reshape(-1, weight.shape[0])
    return dout @ weight, dout2.T @ x2, dout2.sum(axis=0)
