"""The block passes the padding mask on to the attention but forgets src_mask (the causal mask)."""
# lose: test_transformer_encoder_layer_forward
# uses: layer_norm_forward multi_head_attention_forward
# names: src_mask ignored

# ---- transformer_encoder_layer_forward
def transformer_encoder_layer_forward(x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
                                      linear1_weight, linear1_bias, linear2_weight, linear2_bias, norm1_weight,
                                      norm1_bias, norm2_weight, norm2_bias, src_key_padding_mask=None,
                                      src_mask=None, num_heads=1, eps=1e-5):
    a, _ = layer_norm_forward(x, norm1_weight, norm1_bias, eps=eps)
    (sa, _), _ = multi_head_attention_forward(a, a, a, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
                                              key_padding_mask=src_key_padding_mask, num_heads=num_heads)
    h = x + sa
    b, _ = layer_norm_forward(h, norm2_weight, norm2_bias, eps=eps)
    return h + np.maximum(b @ linear1_weight.T + linear1_bias, 0.0) @ linear2_weight.T + linear2_bias, None
