"""batch_norm normalises with the unbiased variance (ddof=1) of the batch, not the biased one."""
# lose: test_batch_norm_forward test_batch_norm_backward
# names: the unbiased variance

# ---- batch_norm_forward
def batch_norm_forward(x, weight=None, bias=None, running_mean=None, running_var=None, training=True,
                       momentum=0.1, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if training:
        mean, var = x.mean(axis=axes), x.var(axis=axes, ddof=1)
    else:
        mean, var = running_mean, running_var
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = (x - mean.reshape(shape)) * inv_std.reshape(shape)
    out = xhat if weight is None else xhat * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out, (xhat, inv_std.reshape(shape), weight, bias is not None, training, axes, shape)
