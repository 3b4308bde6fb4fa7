"""The block one batch entry at a time (the attention on (1, T, E) slices, the padding mask sliced to match), its
FFN token by token with einsum and a relu by np.where, and a cache of the intermediates; prints as it goes."""
# uses: layer_norm_forward multi_head_attention_forward

# ---- transformer_encoder_layer_forward
def transformer_encoder_layer_forward(x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
                                      linear1_weight, linear1_bias, linear2_weight, linear2_bias, norm1_weight,
                                      norm1_bias, norm2_weight, norm2_bias, src_key_padding_mask=None,
                                      src_mask=None, num_heads=1, eps=1e-5):
    print("block:", x.shape, "heads:", num_heads, "causal:", src_mask is not None)
    attn = np.empty_like(x)
    for i in range(x.shape[0]):
        xi = x[i:i + 1]
        kpm = None if src_key_padding_mask is None else src_key_padding_mask[i:i + 1]
        ai, _ = layer_norm_forward(xi, norm1_weight, norm1_bias, None, eps)
        (attn[i:i + 1], _), _ = multi_head_attention_forward(ai, ai, ai, in_proj_weight, in_proj_bias,
                                                             out_proj_weight, out_proj_bias, kpm, src_mask,
                                                             num_heads=num_heads)
    h = attn + x
    b, _ = layer_norm_forward(h, norm2_weight, norm2_bias, eps=eps)
    f = np.empty_like(h)
    for t in range(h.shape[1]):
        z = np.einsum("nE,fE->nf", b[:, t], linear1_weight) + linear1_bias
        f[:, t] = np.einsum("nf,Ef->nE", np.where(z > 0, z, 0.0), linear2_weight) + linear2_bias
    return f + h, {"h": h, "b": b}
