"""SDPA with einsum, log-sum-exp and masks turned into -inf additions; dead rows zeroed with nan_to_num; noisy."""

# ---- scaled_dot_product_attention_forward
import warnings

def scaled_dot_product_attention_forward(query, key, value, attn_mask=None, is_causal=False, scale=None):
    print("attention", query.shape, key.shape, value.shape)
    warnings.warn("einsum attention", UserWarning)
    E = query.shape[-1]
    scale = E ** -0.5 if scale is None else scale
    s = np.einsum("...le,...se->...ls", query, key) * scale
    add = np.zeros(s.shape[-2:])
    if is_causal:
        add = np.where(np.tril(np.ones(s.shape[-2:])) > 0, 0.0, -np.inf)
    elif attn_mask is not None:
        add = np.where(attn_mask, 0.0, -np.inf) if attn_mask.dtype == np.bool_ else attn_mask
    s = s + add
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.max(s, axis=-1, keepdims=True)
        lse = m + np.log(np.sum(np.exp(s - m), axis=-1, keepdims=True))
        p = np.nan_to_num(np.exp(s - lse), nan=0.0)
    return np.einsum("...ls,...sv->...lv", p, value), {"q": query, "k": key, "v": value, "p": p, "scale": scale}

# ---- scaled_dot_product_attention_backward
def scaled_dot_product_attention_backward(dout, cache):
    q, k, v, p, scale = cache["q"], cache["k"], cache["v"], cache["p"], cache["scale"]
    dv = np.einsum("...ls,...lv->...sv", p, dout)
    dp = np.einsum("...lv,...sv->...ls", dout, v)
    ds = p * dp - p * np.einsum("...ls,...ls->...l", p, dp)[..., None]
    return np.einsum("...ls,...se->...le", ds, k) * scale, np.einsum("...ls,...le->...se", ds, q) * scale, dv
