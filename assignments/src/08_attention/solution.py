"""Assignment 08_attention: the solutions of its answer cells.

assignments/build_sources.py copies each function below, from its `def` line to its
`### END SOLUTION`, into the answer cell of the same name (assignment.md places the cells):
edit here, then run `python assignments/build_sources.py`.
"""
import numpy as np


def scaled_dot_product_attention_forward(query, key, value, attn_mask=None, is_causal=False, scale=None):
    """softmax(query @ key^T * scale + mask) @ value, like F.scaled_dot_product_attention.

    query: (..., L, E); key: (..., S, E); value: (..., S, Ev). attn_mask: None, boolean (True: may
    attend) or float (added), broadcastable to (..., L, S). is_causal: query i sees keys 0..i.
    scale: None means 1 / sqrt(E). Returns (out, cache): out is (..., L, Ev).
    """
    ### BEGIN SOLUTION
    if scale is None:
        scale = 1.0 / np.sqrt(query.shape[-1])
    s = (query @ np.swapaxes(key, -1, -2)) * scale
    if is_causal:
        attn_mask = np.tril(np.ones(s.shape[-2:], dtype=bool))
    if attn_mask is not None:
        if attn_mask.dtype == bool:
            s = np.where(attn_mask, s, -np.inf)
        else:
            s = s + attn_mask
    m = s.max(axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)  # a row of only -inf: no shift (its exp is all 0)
    e = np.exp(s - m)
    total = e.sum(axis=-1, keepdims=True)
    p = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
    out = p @ value
    cache = (query, key, value, p, scale)
    return out, cache
    ### END SOLUTION


def scaled_dot_product_attention_backward(dout, cache):
    """Gradients of scaled_dot_product_attention_forward.

    dout: (..., L, Ev). Returns (dquery, dkey, dvalue), shaped like query, key, value.
    """
    ### BEGIN SOLUTION
    query, key, value, p, scale = cache
    dvalue = np.swapaxes(p, -1, -2) @ dout
    dp = dout @ np.swapaxes(value, -1, -2)
    ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))
    dquery = (ds @ key) * scale
    dkey = (np.swapaxes(ds, -1, -2) @ query) * scale
    return dquery, dkey, dvalue
    ### END SOLUTION


def multi_head_attention_forward(query, key, value, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
                                 key_padding_mask=None, attn_mask=None, num_heads=1, average_attn_weights=True):
    """nn.MultiheadAttention(batch_first=True) with need_weights=True, no dropout.

    query: (N, L, E); key, value: (N, S, E); in_proj_weight: (3E, E); in_proj_bias: (3E,) or None;
    out_proj_weight: (E, E); out_proj_bias: (E,) or None. key_padding_mask: (N, S), attn_mask:
    (L, S) or (N * num_heads, L, S): boolean True = may NOT attend, or float (added).
    Returns ((out, attn_weights), cache): out (N, L, E); attn_weights (N, L, S) averaged over
    the heads, or (N, num_heads, L, S) when average_attn_weights is False.
    """
    ### BEGIN SOLUTION
    n, L, E = query.shape
    S = key.shape[1]
    d = E // num_heads
    heads = []
    for j, x in enumerate((query, key, value)):
        y = x @ in_proj_weight[j * E:(j + 1) * E].T
        if in_proj_bias is not None:
            y = y + in_proj_bias[j * E:(j + 1) * E]
        heads.append(y.reshape(n, -1, num_heads, d).transpose(0, 2, 1, 3))
    mask = np.zeros((n, num_heads, L, S))
    if attn_mask is not None:
        am = np.where(attn_mask, -np.inf, 0.0) if attn_mask.dtype == bool else attn_mask
        mask = mask + (am.reshape(n, num_heads, L, S) if am.ndim == 3 else am)
    if key_padding_mask is not None:
        kpm = np.where(key_padding_mask, -np.inf, 0.0) if key_padding_mask.dtype == bool else key_padding_mask
        mask = mask + kpm[:, None, None, :]
    q, k, v = heads
    s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d) + mask  # (N, h, L, S)
    m = s.max(axis=-1, keepdims=True)
    e = np.exp(s - np.where(np.isfinite(m), m, 0.0))
    total = e.sum(axis=-1, keepdims=True)
    p = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
    out = (p @ v).transpose(0, 2, 1, 3).reshape(n, L, E) @ out_proj_weight.T
    if out_proj_bias is not None:
        out = out + out_proj_bias
    weights = p.mean(axis=1) if average_attn_weights else p
    return (out, weights), (heads, p)
    ### END SOLUTION


def layer_norm_forward(x, weight=None, bias=None, normalized_shape=None, eps=1e-5):
    """Layer normalisation like torch.nn.functional.layer_norm over the last dimensions.

    x: (..., *normalized_shape); normalized_shape: an int, a tuple, or None (the last axis);
    weight, bias: normalized_shape, or None. Returns (out, cache): out has the shape of x.
    """
    ### BEGIN SOLUTION
    if normalized_shape is None:
        k = 1
    else:
        k = 1 if np.isscalar(normalized_shape) else len(normalized_shape)
    axes = tuple(range(x.ndim - k, x.ndim))  # the last k axes
    mean = x.mean(axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(x.var(axis=axes, keepdims=True) + eps)  # the biased variance
    xhat = (x - mean) * inv_std
    out = xhat if weight is None else xhat * weight
    if bias is not None:
        out = out + bias
    return out, (xhat, inv_std, weight, bias is not None, axes)
    ### END SOLUTION


def layer_norm_backward(dout, cache):
    """Gradients of layer_norm_forward.

    dout: the shape of x; cache: what your layer_norm_forward returned.
    Returns (dx, dweight, dbias): dweight, dbias normalized_shape, or None where the forward's was None.
    """
    ### BEGIN SOLUTION
    xhat, inv_std, weight, has_bias, axes = cache
    g = dout if weight is None else dout * weight  # the gradient of xhat
    m = int(np.prod([xhat.shape[a] for a in axes]))  # values per sample
    dx = inv_std / m * (m * g - g.sum(axis=axes, keepdims=True) - xhat * (g * xhat).sum(axis=axes, keepdims=True))
    lead = tuple(range(xhat.ndim - len(axes)))  # the batch (and token) axes
    dweight = None if weight is None else (dout * xhat).sum(axis=lead)
    dbias = dout.sum(axis=lead) if has_bias else None
    return dx, dweight, dbias
    ### END SOLUTION


def transformer_encoder_layer_forward(x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
                                      linear1_weight, linear1_bias, linear2_weight, linear2_bias, norm1_weight,
                                      norm1_bias, norm2_weight, norm2_bias, src_key_padding_mask=None,
                                      src_mask=None, num_heads=1, eps=1e-5):
    """nn.TransformerEncoderLayer(norm_first=True, dropout=0.0, batch_first=True), activation relu.

    x: (N, T, E). in_proj_*, out_proj_*: the self-attention's (as in multi_head_attention_forward);
    linear1_weight: (ff, E), linear1_bias: (ff,), linear2_weight: (E, ff), linear2_bias: (E,): the
    feed-forward network; norm1_*, norm2_*: (E,), the two layer norms' weight and bias.
    src_key_padding_mask: (N, T), src_mask: (T, T), as nn.MultiheadAttention's (True: may NOT attend).
    Use your layer_norm_forward and multi_head_attention_forward. Returns (out, cache): out (N, T, E);
    the cache is yours (there is no backward to write here: None will do).
    """
    ### BEGIN SOLUTION
    a, _ = layer_norm_forward(x, norm1_weight, norm1_bias, eps=eps)
    (sa, _), _ = multi_head_attention_forward(a, a, a, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
                                              key_padding_mask=src_key_padding_mask, attn_mask=src_mask,
                                              num_heads=num_heads)
    h = x + sa  # the first residual connection: around the attention
    b, _ = layer_norm_forward(h, norm2_weight, norm2_bias, eps=eps)
    f = np.maximum(b @ linear1_weight.T + linear1_bias, 0.0) @ linear2_weight.T + linear2_bias
    out = h + f  # the second: around the feed-forward network
    return out, None
    ### END SOLUTION
