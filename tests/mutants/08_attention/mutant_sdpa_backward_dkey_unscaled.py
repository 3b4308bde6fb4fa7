"""dkey without the scale factor (dquery has it)."""
# lose: test_scaled_dot_product_attention_backward
# names: dkey without the scale

# ---- scaled_dot_product_attention_backward
def scaled_dot_product_attention_backward(dout, cache):
    query, key, value, p, scale = cache
    dp = dout @ np.swapaxes(value, -1, -2)
    ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))
    return (ds @ key) * scale, np.swapaxes(ds, -1, -2) @ query, np.swapaxes(p, -1, -2) @ dout
