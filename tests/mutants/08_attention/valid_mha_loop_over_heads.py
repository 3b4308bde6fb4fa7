"""Multi-head attention with a loop over heads (feature slices), its own softmax, an additive mask built per head."""

# ---- multi_head_attention_forward
def multi_head_attention_forward(query, key, value, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
                                 key_padding_mask=None, attn_mask=None, num_heads=1, average_attn_weights=True):
    n, L, E = query.shape
    S = key.shape[1]
    d = E // num_heads
    b = np.zeros(3 * E) if in_proj_bias is None else in_proj_bias
    q = query @ in_proj_weight[:E].T + b[:E]
    k = key @ in_proj_weight[E:2 * E].T + b[E:2 * E]
    v = value @ in_proj_weight[2 * E:].T + b[2 * E:]
    concat = np.zeros((n, L, E))
    weights = np.zeros((n, num_heads, L, S))
    for h in range(num_heads):
        cols = slice(h * d, (h + 1) * d)
        s = q[:, :, cols] @ k[:, :, cols].transpose(0, 2, 1) / np.sqrt(d)
        if attn_mask is not None:
            am = attn_mask.reshape(n, num_heads, L, S)[:, h] if attn_mask.ndim == 3 else attn_mask
            s = np.where(am, -np.inf, s) if am.dtype == bool else s + am
        if key_padding_mask is not None:
            kp = key_padding_mask[:, None, :]
            s = np.where(kp, -np.inf, s) if kp.dtype == bool else s + kp
        m = s.max(axis=-1, keepdims=True)
        e = np.exp(s - np.where(np.isfinite(m), m, 0.0))
        p = e / np.maximum(e.sum(axis=-1, keepdims=True), 1e-300)
        weights[:, h] = p
        concat[:, :, cols] = p @ v[:, :, cols]
    out = concat @ out_proj_weight.T
    if out_proj_bias is not None:
        out = out + out_proj_bias
    return (out, weights.mean(axis=1) if average_attn_weights else weights), None
