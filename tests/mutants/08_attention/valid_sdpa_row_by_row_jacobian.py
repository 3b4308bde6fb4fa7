"""SDPA over the flattened batch, one 2-D problem at a time; the softmax backward by its full Jacobian diag(p) - p p^T."""

# ---- scaled_dot_product_attention_forward
def scaled_dot_product_attention_forward(query, key, value, attn_mask=None, is_causal=False, scale=None):
    lead = query.shape[:-2]
    L, E = query.shape[-2:]
    S, Ev = value.shape[-2:]
    scale = 1.0 / np.sqrt(E) if scale is None else scale
    if is_causal:
        attn_mask = np.tril(np.ones((L, S), dtype=bool))
    mask = np.zeros((L, S)) if attn_mask is None else attn_mask
    mask = np.broadcast_to(mask, lead + (L, S)).reshape(-1, L, S)
    q2, k2, v2 = query.reshape(-1, L, E), key.reshape(-1, S, E), value.reshape(-1, S, Ev)
    out, ps = np.zeros((len(q2), L, Ev)), np.zeros((len(q2), L, S))
    for b in range(len(q2)):
        s = q2[b] @ k2[b].T * scale
        s = np.where(mask[b], s, -np.inf) if mask.dtype == bool else s + mask[b]
        for i in range(L):
            if np.isfinite(s[i]).any():
                e = np.exp(s[i] - s[i].max())
                ps[b, i] = e / e.sum()
        out[b] = ps[b] @ v2[b]
    return out.reshape(lead + (L, Ev)), (q2, k2, v2, ps, scale, query.shape, key.shape, value.shape)

# ---- scaled_dot_product_attention_backward
def scaled_dot_product_attention_backward(dout, cache):
    q2, k2, v2, ps, scale, qs, ks, vs = cache
    d2 = dout.reshape(len(q2), qs[-2], -1)
    dq, dk, dv = np.zeros_like(q2), np.zeros_like(k2), np.zeros_like(v2)
    for b in range(len(q2)):
        dv[b] = ps[b].T @ d2[b]
        dp = d2[b] @ v2[b].T
        ds = np.stack([(np.diag(p) - np.outer(p, p)) @ g for p, g in zip(ps[b], dp)])
        dq[b] = ds @ k2[b] * scale
        dk[b] = ds.T @ q2[b] * scale
    return dq.reshape(qs), dk.reshape(ks), dv.reshape(vs)
