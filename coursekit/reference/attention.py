"""Chapter 08 - attention: scaled dot-product and multi-head attention, layer norm, positional
encoding, and a pre-norm transformer encoder block, each forward beside its backward.

Layouts and mask conventions are PyTorch's, and they differ between its two APIs:

- `F.scaled_dot_product_attention`: a boolean `attn_mask` is True where a query MAY attend;
  a float mask is added to the scores (-inf forbids).
- `nn.MultiheadAttention`: a boolean `attn_mask` or `key_padding_mask` is True where a query may
  NOT attend (padding); float masks are added.

Fully masked rows (a query that may attend to nothing): `scaled_dot_product_attention` returns 0
for that query and sends it no gradient, as PyTorch's SDPA does. `nn.MultiheadAttention` returns
NaN there instead; `multi_head_attention_forward` returns 0 like SDPA (tests/test_attention.py).
"""
from __future__ import annotations

import math

import numpy as np

from ._validate import array, integer
from .activations import relu_backward, relu_forward, softmax_backward, sum_of_products
from .neurons import linear_backward, linear_forward

__all__ = ["layer_norm_backward", "layer_norm_forward", "multi_head_attention_backward",
           "multi_head_attention_forward", "positional_encoding", "scaled_dot_product_attention_backward",
           "scaled_dot_product_attention_forward", "transformer_encoder_layer_backward",
           "transformer_encoder_layer_forward", "ENCODER_PARAMS"]


# ------------------------------------------------------------------ scaled dot-product attention

def _mask(name, m, meaning):
    """A mask argument: a boolean or float ndarray, else TypeError naming it."""
    if not isinstance(m, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(m).__module__}.{type(m).__qualname__}")
    if m.dtype.kind not in "bf":
        raise TypeError(f"{name} must be boolean ({meaning}) or float (added), got dtype {m.dtype}")
    return m


def _scores_mask(attn_mask, is_causal, shape):
    """A boolean "may attend" array broadcastable to the scores `shape` (..., L, S), or a float one
    to add, or None."""
    if is_causal:
        if attn_mask is not None:
            raise ValueError("pass attn_mask or is_causal=True, not both (as PyTorch)")
        return np.tril(np.ones(shape[-2:], dtype=bool))
    if attn_mask is None:
        return None
    attn_mask = _mask("attn_mask", attn_mask, "True: may attend")
    try:
        np.broadcast_shapes(attn_mask.shape, shape)
    except ValueError:
        raise ValueError(f"attn_mask of shape {attn_mask.shape} does not broadcast to the scores (..., L, S) "
                         f"{shape}") from None
    return attn_mask


def _softmax_rows(s):
    """Softmax over the last axis where rows of only -inf give 0 (no NaN): (probabilities, row alive)."""
    m = s.max(axis=-1, keepdims=True)
    alive = np.isfinite(m)
    e = np.exp(s - np.where(alive, m, 0.0))
    total = e.sum(axis=-1, keepdims=True)
    total[total == 0] = 1.0  # a dead row's e is all 0: dividing by 1 keeps it 0 (a masked divide is slow)
    e /= total
    return e, alive


def scaled_dot_product_attention_forward(query, key, value, attn_mask=None, is_causal=False, scale=None):
    """`F.scaled_dot_product_attention` (no dropout): softmax(q k^T * scale + mask) v.

    query: (..., L, E); key: (..., S, E); value: (..., S, Ev), the same leading dimensions.
    attn_mask: boolean (True: may attend) or float (added), broadcastable to (..., L, S); is_causal:
    query i attends to keys 0..i. scale: default 1 / sqrt(E). Returns out (..., L, Ev) and a cache.
    """
    q, k, v = (array(n, a, min_ndim=2) for n, a in (("query", query), ("key", key), ("value", value)))
    if q.shape[:-2] != k.shape[:-2] or k.shape[:-1] != v.shape[:-1] or q.shape[-1] != k.shape[-1]:
        raise ValueError(f"query (..., L, E), key (..., S, E) and value (..., S, Ev) do not fit: query {q.shape}, "
                         f"key {k.shape}, value {v.shape}")
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    s = q @ np.swapaxes(k, -1, -2)
    s *= scale
    mask = _scores_mask(attn_mask, is_causal, s.shape)
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    p, _ = _softmax_rows(s)
    return p @ v, (q, k, v, p, scale)


def _attention_backward(dout, dp_extra, cache):
    q, k, v, p, scale = cache
    dv = np.swapaxes(p, -1, -2) @ dout
    dp = dout @ np.swapaxes(v, -1, -2)
    if dp_extra is not None:
        dp = dp + dp_extra
    ds = softmax_backward(dp, (p, -1))  # row by row: p * (dp - rowsum(dp * p))
    ds *= scale  # the scale of q k^T, once here rather than on both products
    return ds @ k, np.swapaxes(ds, -1, -2) @ q, dv


def scaled_dot_product_attention_backward(dout, cache):
    """Gradients of `scaled_dot_product_attention_forward`: (dquery, dkey, dvalue).

    dv = P^T dout; dP = dout v^T; dS = P * (dP - rowsum(dP * P)); dq = dS k * scale, dk = dS^T q * scale.
    """
    q, k, v, p, scale = cache
    dout = array("dout", dout)
    if dout.shape != q.shape[:-1] + (v.shape[-1],):
        raise ValueError(f"dout must have the output's shape {q.shape[:-1] + (v.shape[-1],)}, got {dout.shape}")
    return _attention_backward(dout, None, cache)


# ------------------------------------------------------------------ multi-head attention

def _mha_mask(key_padding_mask, attn_mask, n, heads, L, S, dtype):
    """nn.MultiheadAttention's masks (bool True = may NOT attend, or float added) as one additive
    float mask (N, heads, L, S), or None."""
    total = None
    if attn_mask is not None:
        attn_mask = _mask("attn_mask", attn_mask, "True: may NOT attend")
        if attn_mask.shape == (n * heads, L, S):
            attn_mask = attn_mask.reshape(n, heads, L, S)
        elif attn_mask.shape != (L, S):
            raise ValueError(f"attn_mask must be (L, S) = {(L, S)} or (N * num_heads, L, S) = {(n * heads, L, S)}, "
                             f"got {attn_mask.shape}")
        total = np.where(attn_mask, -np.inf, 0.0) if attn_mask.dtype == bool else attn_mask.astype(dtype)
    if key_padding_mask is not None:
        key_padding_mask = _mask("key_padding_mask", key_padding_mask, "True: padding, may NOT be attended")
        if key_padding_mask.shape != (n, S):
            raise ValueError(f"key_padding_mask must have shape (N, S) = {(n, S)}, got {key_padding_mask.shape}")
        pad = np.where(key_padding_mask, -np.inf, 0.0) if key_padding_mask.dtype == bool else key_padding_mask
        pad = pad.astype(dtype)[:, None, None, :]
        total = pad if total is None else total + pad
    return None if total is None else np.broadcast_to(total, (n, heads, L, S)).astype(dtype)


def multi_head_attention_forward(query, key, value, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
                                 key_padding_mask=None, attn_mask=None, num_heads=1, average_attn_weights=True):
    """`nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)` (no dropout), need_weights=True.

    query: (N, L, E); key, value: (N, S, E); in_proj_weight: (3E, E) = [W_q; W_k; W_v]; in_proj_bias:
    (3E,) or None; out_proj_weight: (E, E); out_proj_bias: (E,) or None. key_padding_mask: (N, S),
    attn_mask: (L, S) or (N * num_heads, L, S); boolean True means may NOT attend, floats are added.
    Returns (out (N, L, E), attn_weights (N, L, S) averaged over heads, or (N, heads, L, S)) and a cache.
    """
    q_in, k_in, v_in = (array(n, a, ndim=3) for n, a in (("query", query), ("key", key), ("value", value)))
    w_in = array("in_proj_weight", in_proj_weight, ndim=2)
    w_out = array("out_proj_weight", out_proj_weight, ndim=2)
    n, L, E = q_in.shape
    S = k_in.shape[1]
    heads = integer("num_heads", num_heads, 1)
    if E % heads:
        raise ValueError(f"embed_dim {E} (query {q_in.shape}) must be divisible by num_heads {heads}")
    if k_in.shape != (n, S, E) or v_in.shape != (n, S, E):
        raise ValueError(f"key and value must be (N, S, E) = (N, S, {E}) like query {q_in.shape}, got key "
                         f"{k_in.shape} and value {v_in.shape}")
    if w_in.shape != (3 * E, E) or w_out.shape != (E, E):
        raise ValueError(f"in_proj_weight must be {(3 * E, E)} and out_proj_weight {(E, E)}, got {w_in.shape} "
                         f"and {w_out.shape}")
    b_in = None if in_proj_bias is None else array("in_proj_bias", in_proj_bias, ndim=1)
    b_out = None if out_proj_bias is None else array("out_proj_bias", out_proj_bias, ndim=1)
    if b_out is not None and b_out.shape != (E,):
        raise ValueError(f"out_proj_bias must have shape ({E},), got {b_out.shape}")
    if b_in is not None and b_in.shape != (3 * E,):
        raise ValueError(f"in_proj_bias must have shape ({3 * E},), got {b_in.shape}")
    d = E // heads
    projections, caches = [], []
    for j, x in enumerate((q_in, k_in, v_in)):
        y, c = linear_forward(x, w_in[j * E:(j + 1) * E], None if b_in is None else b_in[j * E:(j + 1) * E])
        projections.append(y.reshape(n, -1, heads, d).transpose(0, 2, 1, 3))  # (N, heads, length, d)
        caches.append(c)
    mask = _mha_mask(key_padding_mask, attn_mask, n, heads, L, S, q_in.dtype)
    o, c_att = scaled_dot_product_attention_forward(*projections, attn_mask=mask)
    concat = o.transpose(0, 2, 1, 3).reshape(n, L, E)
    out, c_out = linear_forward(concat, w_out, b_out)
    p = c_att[3]
    weights = p.mean(axis=1) if average_attn_weights else p
    return (out, weights), (caches, c_att, c_out, heads, bool(average_attn_weights), b_in is not None)


def multi_head_attention_backward(dout, dattn_weights, cache):
    """Gradients of `multi_head_attention_forward` for both outputs: (dquery, dkey, dvalue,
    din_proj_weight, din_proj_bias, dout_proj_weight, dout_proj_bias) (None for a bias that was None)."""
    caches, c_att, c_out, heads, average, has_bias = cache
    q, _, _, p, _ = c_att
    n, _, L, d = q.shape
    dout = array("dout", dout)
    if dout.shape != (n, L, heads * d):
        raise ValueError(f"dout must have the output's shape {(n, L, heads * d)}, got {dout.shape}")
    dattn_weights = array("dattn_weights", dattn_weights)
    want = p.shape[:1] + p.shape[2:] if average else p.shape
    if dattn_weights.shape != want:
        raise ValueError(f"dattn_weights must have the weights' shape {want}, got {dattn_weights.shape}")
    dconcat, dw_out, db_out = linear_backward(dout, c_out)
    do = dconcat.reshape(n, L, heads, d).transpose(0, 2, 1, 3)
    dp = np.broadcast_to(dattn_weights[:, None] / heads, p.shape) if average else dattn_weights
    dprojs = _attention_backward(do, dp, c_att)
    dxs, dws, dbs = [], [], []
    for dy, c in zip(dprojs, caches):
        dx, dw, db = linear_backward(dy.transpose(0, 2, 1, 3).reshape(n, -1, heads * d), c)
        dxs.append(dx)
        dws.append(dw)
        dbs.append(db)
    return (*dxs, np.concatenate(dws), np.concatenate(dbs) if has_bias else None, dw_out, db_out)


# ------------------------------------------------------------------ layer norm, positional encoding

def layer_norm_forward(x, weight=None, bias=None, normalized_shape=None, eps=1e-5):
    """`F.layer_norm` over the last dimensions (`normalized_shape`, default: the last one):
    (x - mean) / sqrt(var + eps) * weight + bias, the biased variance, per sample.

    x: (..., *normalized_shape); weight, bias: normalized_shape or None. Returns out and a cache.
    """
    x = array("x", x, min_ndim=1)
    shape = (x.shape[-1],) if normalized_shape is None else (
        (integer("normalized_shape", normalized_shape, 1),) if np.isscalar(normalized_shape)
        else tuple(integer("normalized_shape", s, 1) for s in normalized_shape))
    if x.shape[x.ndim - len(shape):] != shape:
        raise ValueError(f"x {x.shape} must end with normalized_shape {shape}")
    for name, v in (("weight", weight), ("bias", bias)):
        if v is not None and array(name, v).shape != shape:
            raise ValueError(f"{name} must have shape {shape} (normalized_shape), got {np.shape(v)}")
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    xhat = x - x.mean(axis=axes, keepdims=True)  # centred once: the variance and xhat both use it
    inv_std = 1.0 / np.sqrt(sum_of_products(xhat, xhat, axes) / math.prod(shape) + eps)  # no array of squares
    xhat *= inv_std
    out = xhat if weight is None else xhat * weight
    if bias is not None:
        out = out + bias if out is xhat else np.add(out, bias, out=out)
    return out, (xhat, inv_std, weight, bias is not None, axes)


def layer_norm_backward(dout, cache):
    """Gradients of `layer_norm_forward`: (dx, dweight, dbias) (None for a weight or bias that was None).

    dx = inv_std / m * (m g - sum(g) - xhat sum(g xhat)) with g = dout * weight, sums over the
    normalized dimensions (m values); dweight, dbias sum over the leading (batch) dimensions."""
    xhat, inv_std, weight, has_bias, axes = cache
    dout = array("dout", dout)
    if dout.shape != xhat.shape:
        raise ValueError(f"dout must have the output's shape {xhat.shape}, got {dout.shape}")
    g = dout if weight is None else dout * weight
    m = math.prod(xhat.shape[a] for a in axes)
    dx = xhat * (-sum_of_products(g, xhat, axes) / m)  # dx = inv_std (g - mean(g) - xhat mean(g xhat)),
    dx += g                                             # built in place
    dx -= g.mean(axis=axes, keepdims=True)
    dx *= inv_std
    trailing = xhat.shape[xhat.ndim - len(axes):]  # dweight, dbias: sums over the leading (batch) dims
    rows_dout, rows_xhat = dout.reshape(-1, math.prod(trailing)), xhat.reshape(-1, math.prod(trailing))
    dweight = None if weight is None else np.einsum("ni,ni->i", rows_dout, rows_xhat).reshape(trailing)
    dbias = rows_dout.sum(axis=0).reshape(trailing) if has_bias else None
    return dx, dweight, dbias


def positional_encoding(length, d_model, base=10000.0):
    """Sinusoidal positional encoding (Vaswani et al. 2017): (length, d_model) with
    PE[t, 2i] = sin(t / base^(2i / d_model)), PE[t, 2i + 1] = cos(t / base^(2i / d_model))."""
    length, d_model = integer("length", length, 0), integer("d_model", d_model, 1)
    t = np.arange(length)[:, None]
    freq = base ** (-np.arange(0, d_model, 2) / d_model)
    pe = np.zeros((length, d_model))
    pe[:, 0::2] = np.sin(t * freq)
    pe[:, 1::2] = np.cos(t * freq[: d_model // 2])
    return pe


# ------------------------------------------------------------------ a pre-norm transformer encoder block

ENCODER_PARAMS = ("in_proj_weight", "in_proj_bias", "out_proj_weight", "out_proj_bias", "linear1_weight",
                  "linear1_bias", "linear2_weight", "linear2_bias", "norm1_weight", "norm1_bias", "norm2_weight",
                  "norm2_bias")


def transformer_encoder_layer_forward(x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
                                      linear1_weight, linear1_bias, linear2_weight, linear2_bias, norm1_weight,
                                      norm1_bias, norm2_weight, norm2_bias, src_key_padding_mask=None,
                                      src_mask=None, num_heads=1, eps=1e-5):
    """`nn.TransformerEncoderLayer(norm_first=True, dropout=0.0, batch_first=True)`, relu, composed
    from the reference ops:  x = x + SelfAttention(LayerNorm1(x));  x = x + FFN(LayerNorm2(x)).

    x: (N, T, E); parameters named as the module's (dots as underscores, see ENCODER_PARAMS).
    Masks as in `multi_head_attention_forward`. Returns out (N, T, E) and a cache.
    """
    x = array("x", x, ndim=3)
    given = locals()
    for name in ENCODER_PARAMS:  # every parameter named as the module's in an error
        array(name, given[name], ndim=2 if name.endswith("weight") and not name.startswith("norm") else 1)
    for name, m, meaning in (("src_key_padding_mask", src_key_padding_mask, "True: padding"),
                             ("src_mask", src_mask, "True: may NOT attend")):
        if m is not None:
            _mask(name, m, meaning)
    a, c_n1 = layer_norm_forward(x, norm1_weight, norm1_bias, eps=eps)
    (sa, _), c_att = multi_head_attention_forward(a, a, a, in_proj_weight, in_proj_bias, out_proj_weight,
                                                  out_proj_bias, src_key_padding_mask, src_mask, num_heads)
    h = x + sa
    b, c_n2 = layer_norm_forward(h, norm2_weight, norm2_bias, eps=eps)
    z, c_l1 = linear_forward(b, linear1_weight, linear1_bias)
    r, c_relu = relu_forward(z)
    f, c_l2 = linear_forward(r, linear2_weight, linear2_bias)
    return h + f, (c_n1, c_att, c_n2, c_l1, c_relu, c_l2)


def transformer_encoder_layer_backward(dout, cache):
    """Gradients of `transformer_encoder_layer_forward`: (dx, then one per parameter in the order
    of ENCODER_PARAMS), by the reference backwards in reverse order; residuals add their gradients."""
    c_n1, c_att, c_n2, c_l1, c_relu, c_l2 = cache
    dout = array("dout", dout)
    if dout.shape != c_n1[0].shape:
        raise ValueError(f"dout must have the output's shape {c_n1[0].shape}, got {dout.shape}")
    dr, dw2, db2 = linear_backward(dout, c_l2)
    db, dw1, db1 = linear_backward(relu_backward(dr, c_relu), c_l1)
    dh_norm, dn2w, dn2b = layer_norm_backward(db, c_n2)
    dh = dout + dh_norm
    weights_shape = c_att[1][3].shape
    dq, dk, dv, dwi, dbi, dwo, dbo = multi_head_attention_backward(
        dh, np.zeros(weights_shape[:1] + weights_shape[2:], dtype=dh.dtype), c_att)
    dx_norm, dn1w, dn1b = layer_norm_backward(dq + dk + dv, c_n1)
    return dh + dx_norm, dwi, dbi, dwo, dbo, dw1, db1, dw2, db2, dn1w, dn1b, dn2w, dn2b
