"""Bias gradient averaged over the batch instead of summed."""
# lose: test_linear_backward
# names: dbias as a mean

# ---- linear_backward
def linear_backward(dout, cache):
    x, weight, bias = cache
    x2 = x.reshape(-1, x.shape[-1])
    dout2 = dout.reshape(-1, weight.shape[0])
    dbias = None if bias is None else dout2.mean(axis=0)
    return dout @ weight, dout2.T @ x2, dbias
