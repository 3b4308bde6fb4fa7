"""batch_norm ignores `training`: eval mode normalises with the batch's statistics, not the running ones."""
# lose: test_batch_norm_forward test_batch_norm_backward
# names: the batch statistics in eval mode

# ---- batch_norm_forward
def batch_norm_forward(x, weight=None, bias=None, running_mean=None, running_var=None, training=True,
                       momentum=0.1, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = (x - mean) * inv_std
    out = xhat if weight is None else xhat * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out, (xhat, inv_std, weight, bias is not None, axes, shape)

# ---- batch_norm_backward
def batch_norm_backward(dout, cache):
    xhat, inv_std, weight, has_bias, axes, shape = cache
    g = dout if weight is None else dout * weight.reshape(shape)
    m = xhat.size // xhat.shape[1]
    dx = inv_std / m * (m * g - g.sum(axis=axes, keepdims=True) - xhat * (g * xhat).sum(axis=axes, keepdims=True))
    dweight = None if weight is None else (dout * xhat).sum(axis=axes)
    dbias = dout.sum(axis=axes) if has_bias else None
    return dx, dweight, dbias
