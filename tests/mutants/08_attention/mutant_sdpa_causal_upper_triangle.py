"""Causal mask as the upper triangle: every query sees the future and not the past."""
# lose: test_scaled_dot_product_attention_forward test_scaled_dot_product_attention_backward
# names: the causal mask on the upper triangle

# ---- scaled_dot_product_attention_forward
def scaled_dot_product_attention_forward(query, key, value, attn_mask=None, is_causal=False, scale=None):
    scale = 1.0 / np.sqrt(query.shape[-1]) if scale is None else scale
    s = (query @ np.swapaxes(key, -1, -2)) * scale
    if is_causal:
        attn_mask = np.triu(np.ones(s.shape[-2:], dtype=bool))
    if attn_mask is not None:
        s = np.where(attn_mask, s, -np.inf) if attn_mask.dtype == bool else s + attn_mask
    m = s.max(axis=-1, keepdims=True)
    e = np.exp(s - np.where(np.isfinite(m), m, 0.0))
    total = e.sum(axis=-1, keepdims=True)
    p = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
    return p @ value, (query, key, value, p, scale)
