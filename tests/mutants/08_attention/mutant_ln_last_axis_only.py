"""layer_norm ignores normalized_shape and always normalises over the last axis alone."""
# lose: test_layer_norm_forward test_layer_norm_backward
# names: normalized_shape ignored

# ---- layer_norm_forward
def layer_norm_forward(x, weight=None, bias=None, normalized_shape=None, eps=1e-5):
    axes = (x.ndim - 1,)
    mean = x.mean(axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    xhat = (x - mean) * inv_std
    out = xhat if weight is None else xhat * weight
    if bias is not None:
        out = out + bias
    return out, (xhat, inv_std, weight, bias is not None, axes)
