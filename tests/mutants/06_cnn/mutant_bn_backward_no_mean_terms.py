"""batch_norm's backward treats the batch mean and variance as constants: dx = dout * weight / sqrt(var + eps)."""
# lose: test_batch_norm_backward
# names: the backward without the mean terms

# ---- batch_norm_backward
def batch_norm_backward(dout, cache):
    xhat, inv_std, weight, has_bias, training, axes, shape = cache
    g = dout if weight is None else dout * weight.reshape(shape)
    dx = g * inv_std
    dweight = None if weight is None else (dout * xhat).sum(axis=axes)
    dbias = dout.sum(axis=axes) if has_bias else None
    return dx, dweight, dbias
