"""Flattens x in place (x.shape = ...): the caller's array changes shape."""
# lose: test_linear_backward

# ---- linear_backward
def linear_backward(dout, cache):
    x, weight, bias = cache
    dx = dout @ weight
    x.shape = (-1, x.shape[-1])
    dout2 = dout.reshape(-1, weight.shape[0])
    dbias = None if bias is None else dout2.sum(axis=0)
    return dx, dout2.T @ x, dbias
