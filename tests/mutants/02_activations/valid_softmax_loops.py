"""softmax one slice at a time: move dim last, loop over the rows, move it back."""

# ---- softmax_forward
def softmax_forward(x, dim=-1):
    moved = np.moveaxis(x, dim, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    out = np.empty_like(rows)
    for i, row in enumerate(rows):
        e = np.exp(row - row.max())
        out[i] = e / e.sum()
    out = np.moveaxis(out.reshape(moved.shape), -1, dim)
    return out, (out, dim)

# ---- softmax_backward
def softmax_backward(dout, cache):
    s, dim = cache
    s_rows = np.moveaxis(s, dim, -1)
    d_rows = np.moveaxis(dout, dim, -1)
    shape = s_rows.shape
    s2, d2 = s_rows.reshape(-1, shape[-1]), d_rows.reshape(-1, shape[-1])
    dx = np.empty_like(s2)
    for i in range(s2.shape[0]):
        jac = np.diag(s2[i]) - np.outer(s2[i], s2[i])
        dx[i] = jac @ d2[i]
    return np.moveaxis(dx.reshape(shape), -1, dim)
