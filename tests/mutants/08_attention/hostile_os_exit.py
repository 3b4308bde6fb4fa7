"""os._exit(0) inside multi_head_attention_forward: the kernel dies; 0 with the reason, the others are graded."""
# failed: kernel died
# flags: kernel died

# ---- multi_head_attention_forward
import os

def multi_head_attention_forward(query, key, value, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
                                 key_padding_mask=None, attn_mask=None, num_heads=1, average_attn_weights=True):
    os._exit(0)
