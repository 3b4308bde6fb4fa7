"""Heads split along the wrong dimension: (N, L, E) reshaped straight to (N, h, L, d), mixing positions and features."""
# lose: test_multi_head_attention_forward test_transformer_encoder_layer_forward
# uses: scaled_dot_product_attention_forward
# names: the heads split along the wrong axis

# ---- multi_head_attention_forward
def multi_head_attention_forward(query, key, value, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
                                 key_padding_mask=None, attn_mask=None, num_heads=1, average_attn_weights=True):
    n, L, E = query.shape
    S = key.shape[1]
    d = E // num_heads
    heads = []
    for j, x in enumerate((query, key, value)):
        y = x @ in_proj_weight[j * E:(j + 1) * E].T + (0.0 if in_proj_bias is None else in_proj_bias[j * E:(j + 1) * E])
        heads.append(y.reshape(n, num_heads, -1, d))
    mask = np.zeros((n, num_heads, L, S))
    if attn_mask is not None:
        am = np.where(attn_mask, -np.inf, 0.0) if attn_mask.dtype == bool else attn_mask
        mask = mask + (am.reshape(n, num_heads, L, S) if am.ndim == 3 else am)
    if key_padding_mask is not None:
        kpm = np.where(key_padding_mask, -np.inf, 0.0) if key_padding_mask.dtype == bool else key_padding_mask
        mask = mask + kpm[:, None, None, :]
    o, c = scaled_dot_product_attention_forward(*heads, attn_mask=mask)
    out = o.reshape(n, L, E) @ out_proj_weight.T + (0.0 if out_proj_bias is None else out_proj_bias)
    return (out, c[3].mean(axis=1) if average_attn_weights else c[3]), c
