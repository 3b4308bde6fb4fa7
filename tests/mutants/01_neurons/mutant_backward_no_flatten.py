"""Forgets the leading dimensions: sums dbias over axis 0 only and multiplies unflattened arrays."""
# lose: test_linear_backward
# names: the leading dimensions not flattened

# ---- linear_backward
def linear_backward(dout, cache):
    x, weight, bias = cache
    dweight = np.swapaxes(dout, -1, -2) @ x if dout.ndim > 1 else np.outer(dout, x)
    dbias = None if bias is None else dout.sum(axis=0)
    return dout @ weight, dweight, dbias
