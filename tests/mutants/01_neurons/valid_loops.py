"""Explicit Python loops over samples and neurons, one dot product at a time."""

# ---- linear_forward
def linear_forward(x, weight, bias=None):
    d_out, d_in = weight.shape
    rows = x.reshape(-1, d_in)
    out = np.zeros((rows.shape[0], d_out))
    for n in range(rows.shape[0]):
        for o in range(d_out):
            s = 0.0
            for i in range(d_in):
                s += rows[n, i] * weight[o, i]
            out[n, o] = s + (bias[o] if bias is not None else 0.0)
    return out.reshape(x.shape[:-1] + (d_out,)), {"x": x, "w": weight, "has_bias": bias is not None}

# ---- linear_backward
def linear_backward(dout, cache):
    x, weight = cache["x"], cache["w"]
    d_out, d_in = weight.shape
    rows = x.reshape(-1, d_in)
    grads = dout.reshape(-1, d_out)
    dx = np.zeros_like(rows)
    dweight = np.zeros_like(weight)
    dbias = np.zeros(d_out) if cache["has_bias"] else None
    for n in range(rows.shape[0]):
        for o in range(d_out):
            dx[n] += grads[n, o] * weight[o]
            dweight[o] += grads[n, o] * rows[n]
            if dbias is not None:
                dbias[o] += grads[n, o]
    return dx.reshape(x.shape), dweight, dbias
