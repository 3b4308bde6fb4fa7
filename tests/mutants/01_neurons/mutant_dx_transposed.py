"""Wrong input gradient: dout @ weight.T instead of dout @ weight."""
# lose: test_linear_backward

# ---- linear_backward
def linear_backward(dout, cache):
    x, weight, bias = cache
    x2 = x.reshape(-1, x.shape[-1])
    dout2 = dout.reshape(-1, weight.shape[0])
    dx = dout @ weight.T
    dweight = dout2.T @ x2
    dbias = None if bias is None else dout2.sum(axis=0)
    return dx, dweight, dbias
