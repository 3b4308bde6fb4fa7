"""layer_norm divides by sqrt(var) + eps instead of sqrt(var + eps)."""
# lose: test_layer_norm_forward test_layer_norm_backward test_transformer_encoder_layer_forward
# names: eps outside the square root

# ---- layer_norm_forward
def layer_norm_forward(x, weight=None, bias=None, normalized_shape=None, eps=1e-5):
    k = 1 if normalized_shape is None or np.isscalar(normalized_shape) else len(normalized_shape)
    axes = tuple(range(x.ndim - k, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    inv_std = 1.0 / (np.sqrt(x.var(axis=axes, keepdims=True)) + eps)
    xhat = (x - mean) * inv_std
    out = xhat if weight is None else xhat * weight
    if bias is not None:
        out = out + bias
    return out, (xhat, inv_std, weight, bias is not None, axes)
