"""Transposed weight gradient: x^T dout has shape (in, out), PyTorch's weight is (out, in)."""
# lose: test_linear_backward
# names: a transposed dweight

# ---- linear_backward
def linear_backward(dout, cache):
    x, weight, bias = cache
    x2 = x.reshape(-1, x.shape[-1])
    dout2 = dout.reshape(-1, weight.shape[0])
    dx = dout @ weight
    dweight = x2.T @ dout2
    dbias = None if bias is None else dout2.sum(axis=0)
    return dx, dweight, dbias
