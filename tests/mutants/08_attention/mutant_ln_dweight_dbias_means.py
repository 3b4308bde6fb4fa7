"""layer_norm's backward averages dweight and dbias over the batch and token axes instead of summing."""
# lose: test_layer_norm_backward
# names: dweight and dbias as means

# ---- layer_norm_backward
def layer_norm_backward(dout, cache):
    xhat, inv_std, weight, has_bias, axes = cache
    g = dout if weight is None else dout * weight
    m = int(np.prod([xhat.shape[a] for a in axes]))
    dx = inv_std / m * (m * g - g.sum(axis=axes, keepdims=True) - xhat * (g * xhat).sum(axis=axes, keepdims=True))
    lead = tuple(range(xhat.ndim - len(axes)))
    dweight = None if weight is None else (dout * xhat).mean(axis=lead)
    dbias = dout.mean(axis=lead) if has_bias else None
    return dx, dweight, dbias
