"""The block with x overwritten by its norm (x = LN1(x); x = x + attn(x)): the residuals start from the normed input."""
# lose: test_transformer_encoder_layer_forward
# uses: layer_norm_forward multi_head_attention_forward
# names: the residual taken after the norm

# ---- transformer_encoder_layer_forward
def transformer_encoder_layer_forward(x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
                                      linear1_weight, linear1_bias, linear2_weight, linear2_bias, norm1_weight,
                                      norm1_bias, norm2_weight, norm2_bias, src_key_padding_mask=None,
                                      src_mask=None, num_heads=1, eps=1e-5):
    x, _ = layer_norm_forward(x, norm1_weight, norm1_bias, eps=eps)
    (sa, _), _ = multi_head_attention_forward(x, x, x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
                                              key_padding_mask=src_key_padding_mask, attn_mask=src_mask,
                                              num_heads=num_heads)
    x = x + sa
    x, _ = layer_norm_forward(x, norm2_weight, norm2_bias, eps=eps)
    hidden = np.maximum(x @ linear1_weight.T + linear1_bias, 0.0)
    x = x + hidden @ linear2_weight.T + linear2_bias
    return x, None
