"""Helpers in a cell of the student's own (not an answer cell), used by both functions."""

# ---- insert before linear_forward
def as_rows(a, width):
    """(..., width) -> (N, width)."""
    return np.reshape(a, (-1, width))

print(as_rows(np.arange(6.0), 3))

# ---- linear_forward
def linear_forward(x, weight, bias=None):
    out = np.matmul(as_rows(x, weight.shape[1]), weight.T)
    if bias is not None:
        out = out + bias
    return out.reshape(x.shape[:-1] + (weight.shape[0],)), (x, weight, bias)

# ---- linear_backward
def linear_backward(dout, cache):
    x, weight, bias = cache
    x2, d2 = as_rows(x, weight.shape[1]), as_rows(dout, weight.shape[0])
    return (d2 @ weight).reshape(x.shape), d2.T @ x2, None if bias is None else d2.sum(axis=0)
