"""The textbook softmax: a query that may attend to nothing gets NaN (0/0), not 0."""
# lose: test_scaled_dot_product_attention_forward test_scaled_dot_product_attention_backward
# names: NaN for a query that may attend to nothing

# ---- scaled_dot_product_attention_forward
def scaled_dot_product_attention_forward(query, key, value, attn_mask=None, is_causal=False, scale=None):
    scale = 1.0 / np.sqrt(query.shape[-1]) if scale is None else scale
    s = (query @ np.swapaxes(key, -1, -2)) * scale
    if is_causal:
        attn_mask = np.tril(np.ones(s.shape[-2:], dtype=bool))
    if attn_mask is not None:
        s = np.where(attn_mask, s, -np.inf) if attn_mask.dtype == bool else s + attn_mask
    with np.errstate(invalid="ignore"):
        e = np.exp(s - s.max(axis=-1, keepdims=True))
        p = e / e.sum(axis=-1, keepdims=True)
    return p @ value, (query, key, value, p, scale)
