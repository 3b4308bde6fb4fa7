"""The transformer block in the post-norm form (PyTorch's default norm_first=False): LN(x + attn(x)), LN(h + FFN(h))."""
# lose: test_transformer_encoder_layer_forward
# uses: layer_norm_forward multi_head_attention_forward
# names: post-norm instead of pre-norm

# ---- transformer_encoder_layer_forward
def transformer_encoder_layer_forward(x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
                                      linear1_weight, linear1_bias, linear2_weight, linear2_bias, norm1_weight,
                                      norm1_bias, norm2_weight, norm2_bias, src_key_padding_mask=None,
                                      src_mask=None, num_heads=1, eps=1e-5):
    (sa, _), _ = multi_head_attention_forward(x, x, x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
                                              src_key_padding_mask, src_mask, num_heads)
    h, _ = layer_norm_forward(x + sa, norm1_weight, norm1_bias, eps=eps)
    f = np.maximum(h @ linear1_weight.T + linear1_bias, 0.0) @ linear2_weight.T + linear2_bias
    out, _ = layer_norm_forward(h + f, norm2_weight, norm2_bias, eps=eps)
    return out, None
