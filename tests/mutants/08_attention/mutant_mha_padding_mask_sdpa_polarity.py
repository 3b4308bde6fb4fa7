"""key_padding_mask passed on as an SDPA boolean mask: True (padding) taken as 'may attend'."""
# lose: test_multi_head_attention_forward test_transformer_encoder_layer_forward
# uses: scaled_dot_product_attention_forward
# names: the padding mask read as SDPA's

# ---- multi_head_attention_forward
def multi_head_attention_forward(query, key, value, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
                                 key_padding_mask=None, attn_mask=None, num_heads=1, average_attn_weights=True):
    n, L, E = query.shape
    S = key.shape[1]
    d = E // num_heads
    heads = []
    for j, x in enumerate((query, key, value)):
        y = x @ in_proj_weight[j * E:(j + 1) * E].T + (0.0 if in_proj_bias is None else in_proj_bias[j * E:(j + 1) * E])
        heads.append(y.reshape(n, -1, num_heads, d).transpose(0, 2, 1, 3))
    mask = np.ones((n, num_heads, L, S), dtype=bool)
    if attn_mask is not None:
        mask = mask & ~(attn_mask.reshape(n, num_heads, L, S) if attn_mask.ndim == 3 else attn_mask).astype(bool)
    if key_padding_mask is not None:
        mask = mask & key_padding_mask[:, None, None, :].astype(bool)
    o, c = scaled_dot_product_attention_forward(*heads, attn_mask=mask)
    out = o.transpose(0, 2, 1, 3).reshape(n, L, E) @ out_proj_weight.T + (0.0 if out_proj_bias is None else out_proj_bias)
    return (out, c[3].mean(axis=1) if average_attn_weights else c[3]), c
