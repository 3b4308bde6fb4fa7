"""Masking after the softmax: forbidden weights zeroed, but the rows no longer sum to 1."""
# lose: test_scaled_dot_product_attention_forward test_scaled_dot_product_attention_backward
# names: the mask applied after the softmax

# ---- scaled_dot_product_attention_forward
def scaled_dot_product_attention_forward(query, key, value, attn_mask=None, is_causal=False, scale=None):
    scale = 1.0 / np.sqrt(query.shape[-1]) if scale is None else scale
    s = (query @ np.swapaxes(key, -1, -2)) * scale
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    p = e / e.sum(axis=-1, keepdims=True)
    if is_causal:
        attn_mask = np.tril(np.ones(s.shape[-2:], dtype=bool))
    if attn_mask is not None:
        if attn_mask.dtype == bool:
            p = p * attn_mask
        else:
            p = p * np.exp(attn_mask)
    return p @ value, (query, key, value, p, scale)
