"""Chapter 08, attention: scaled dot-product and multi-head attention, layer_norm, an encoder layer."""
from __future__ import annotations

import numpy as np

from ..reference import attention
from ..reference.neurons import linear_forward
from .spec import Case, OpSpec, backward_mistake, forward_mistake, mistake, register


def _torch_sdpa(query, key, value, attn_mask=None, is_causal=False, scale=None):
    import torch.nn.functional as F

    return F.scaled_dot_product_attention(query, key, value, attn_mask=attn_mask, is_causal=is_causal, scale=scale)


def _sdpa_cases(rng, hidden):
    n = rng.standard_normal

    def c(label, lead, L, S, E, Ev=None, mask=None, **kw):
        return Case(label, {"query": n((*lead, L, E)), "key": n((*lead, S, E)), "value": n((*lead, S, Ev or E)),
                            "attn_mask": mask}, kw)

    if not hidden:
        bool_mask = rng.random((3, 5)) < 0.6
        bool_mask[:, 0] = True
        dead = np.ones((4, 4), dtype=bool)
        dead[2] = False
        cases = [
            c("random (2, 3, 4) x (2, 5, 4)", (2,), 3, 5, 4),
            c("batch of one, heads (1, 2, 4, 8)", (1, 2), 4, 4, 8),
            c("non-square: L=3, S=6, E=5, Ev=2", (2,), 3, 6, 5, Ev=2),
            c("causal (2, 5, 5)", (2,), 5, 5, 4, is_causal=True),
            c("boolean mask: True may attend", (2,), 3, 5, 4, mask=bool_mask),
            c("additive float mask", (2,), 3, 5, 4, mask=n((3, 5))),
            c("a fully masked row: output 0, no gradient", (1,), 4, 4, 3, mask=dead),
        ]
        cases.append(Case("exact zeros and large magnitudes (x 1000 keys)", {
            "query": np.zeros((2, 3, 4)), "key": 1000 * n((2, 3, 4)), "value": n((2, 3, 4)), "attn_mask": None}))
        return cases
    return [c("scale=0.2", (2,), 4, 4, 6, scale=0.2), c("one key", (3,), 4, 1, 2),
            c("causal, L < S (3 x 6)", (2,), 3, 6, 4, is_causal=True),
            c("4-D mask per head (2, 2, 3, 4)", (2, 2), 3, 4, 4, mask=rng.random((2, 2, 3, 4)) < 0.7),
            c("wide E=32", (2,), 6, 7, 32)]


_SDPA = attention.scaled_dot_product_attention_forward


def _safe_softmax(s, axis=-1):
    """Softmax along `axis` where a slice of only -inf gives 0 (no NaN)."""
    m = s.max(axis=axis, keepdims=True)
    e = np.exp(s - np.where(np.isfinite(m), m, 0.0))
    total = e.sum(axis=axis, keepdims=True)
    return np.divide(e, total, out=np.zeros_like(e), where=total > 0)


def _masked(s, attn_mask, is_causal):
    """The scores with SDPA's mask applied rightly (True: may attend; a float mask added)."""
    if is_causal:
        attn_mask = np.tril(np.ones(s.shape[-2:], dtype=bool))
    if attn_mask is None:
        return s
    return np.where(attn_mask, s, -np.inf) if attn_mask.dtype == bool else s + attn_mask


def _weighted(weights_of):
    """A mistaken SDPA forward whose attention weights are `weights_of(s, attn_mask, is_causal)`, s the
    scaled scores (the right default scale); its cache as the reference's, for the right backward."""

    def forward(query, key, value, attn_mask=None, is_causal=False, scale=None):
        scale = 1.0 / np.sqrt(query.shape[-1]) if scale is None else scale
        p = weights_of((query @ np.swapaxes(key, -1, -2)) * scale, attn_mask, is_causal)
        return p @ value, (query, key, value, p, scale)

    return forward


def _masks_as(mask_of):
    """The right SDPA on the (attn_mask, is_causal) that `mask_of(attn_mask, is_causal, L, S)` returns."""

    def forward(query, key, value, attn_mask=None, is_causal=False, scale=None):
        return _SDPA(query, key, value, *mask_of(attn_mask, is_causal, query.shape[-2], key.shape[-2]), scale)

    return forward


def _scaled_by(scale_of):
    """The right SDPA with the scale `scale_of(E, scale)` (E: the query's last dimension)."""

    def forward(query, key, value, attn_mask=None, is_causal=False, scale=None):
        return _SDPA(query, key, value, attn_mask, is_causal, scale_of(query.shape[-1], scale))

    return forward


def _after_softmax(s, attn_mask, is_causal):
    p = _safe_softmax(s)
    if is_causal:
        return p * np.tril(np.ones(s.shape[-2:]))
    if attn_mask is None:
        return p
    return p * attn_mask if attn_mask.dtype == bool else p * np.exp(attn_mask)


def _textbook_softmax(s, attn_mask, is_causal):
    s = _masked(s, attn_mask, is_causal)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _sdpa_backward(ds_of=None, q_scaled=True, k_scaled=True):
    """An SDPA backward with dS = `ds_of(p, dP)` (None: the right softmax backward) and the scale on
    dquery and dkey only where asked."""

    def backward(dout, cache):
        q, k, v, p, scale = cache
        dp = dout @ np.swapaxes(v, -1, -2)
        ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True)) if ds_of is None else ds_of(p, dp)
        dq, dk = ds @ k, np.swapaxes(ds, -1, -2) @ q
        return dq * (scale if q_scaled else 1.0), dk * (scale if k_scaled else 1.0), np.swapaxes(p, -1, -2) @ dout

    return backward


_SDPA_MISTAKES = (
    mistake("the boolean mask's polarity inverted", "for scaled_dot_product_attention a boolean attn_mask is True "
            "where a query MAY attend (nn.MultiheadAttention's is the opposite): keep the scores where the mask "
            "is True and put -inf where it is False.", carry=True,
            forward=_masks_as(lambda m, causal, L, S: (m if m is None or m.dtype != bool else ~m, causal))),
    mistake("the causal mask on the upper triangle", "with is_causal query i may attend to keys 0..i, the lower "
            "triangle: build the mask with np.tril, not np.triu.", carry=True,
            forward=_masks_as(lambda m, causal, L, S: (np.triu(np.ones((L, S), dtype=bool)) if causal else m,
                                                       False))),
    mistake("a float mask used as a boolean one", "a float attn_mask is added to the scores (s + attn_mask); only "
            "a boolean one selects with np.where: test attn_mask.dtype == bool first.", carry=True,
            forward=_masks_as(lambda m, causal, L, S: (m if m is None or m.dtype == bool else m != 0, causal))),
    mistake("the mask applied after the softmax", "zeroing weights after the softmax leaves rows that no longer "
            "sum to 1; put -inf in the masked scores (or add a float mask) BEFORE the softmax.", carry=True,
            forward=_weighted(_after_softmax)),
    mistake("no 1/sqrt(E) scale", "when scale is None the scores are q k^T / sqrt(E), E = query.shape[-1]: "
            "multiply by 1 / sqrt(E), and by `scale` when it is given.", carry=True,
            forward=_scaled_by(lambda E, scale: 1.0 if scale is None else scale)),
    mistake("the scale argument ignored", "you always use 1 / sqrt(E); when `scale` is given, multiply the scores "
            "by it instead.", carry=True, forward=_scaled_by(lambda E, scale: 1.0 / np.sqrt(E))),
    mistake("the softmax over the queries", "each query's weights over the keys sum to 1; take the softmax over "
            "the last axis (axis=-1, the keys), not axis -2.", carry=True,
            forward=_weighted(lambda s, m, causal: _safe_softmax(_masked(s, m, causal), axis=-2))),
    mistake("NaN for a query that may attend to nothing", "a row of only -inf gives exp(-inf - (-inf)) = NaN: "
            "where a row's max is -inf subtract 0 instead, and give the row weights 0 (divide only where the "
            "sum is > 0), as PyTorch does.", carry=True, forward=_weighted(_textbook_softmax)),
    mistake("dkey without the scale", "the scores are q k^T * scale, so dkey = dS^T q * scale, like dquery = "
            "dS k * scale: multiply dkey by the scale too.", backward=_sdpa_backward(k_scaled=False)),
    mistake("the scale left out of the backward", "the scores are q k^T * scale, so both dquery = dS k * scale "
            "and dkey = dS^T q * scale carry the factor: multiply both by it.",
            backward=_sdpa_backward(q_scaled=False, k_scaled=False)),
    mistake("the softmax Jacobian's diagonal only", "dS = P * dP leaves out the other entries of the softmax "
            "Jacobian: dS = P * (dP - sum(dP * P, axis=-1, keepdims=True)).",
            backward=_sdpa_backward(lambda p, dp: p * dp)),
    mistake("the softmax backward's sum over the queries", "the softmax runs over the keys (last axis), so its "
            "backward sums over them too: dS = P * (dP - sum(dP * P, axis=-1, keepdims=True)), not axis -2.",
            backward=_sdpa_backward(lambda p, dp: p * (dp - (dp * p).sum(axis=-2, keepdims=True)))),
)


register(OpSpec(
    name="scaled_dot_product_attention", chapter="08_attention",
    forward=attention.scaled_dot_product_attention_forward, backward=attention.scaled_dot_product_attention_backward,
    torch=_torch_sdpa, inputs=("query", "key", "value", "attn_mask"), differentiable=("query", "key", "value"),
    cases=_sdpa_cases, mistakes=_SDPA_MISTAKES,
    bench=lambda rng: Case("bench N=8, heads=4, T=128, d=64", {
        "query": rng.standard_normal((8, 4, 128, 64)), "key": rng.standard_normal((8, 4, 128, 64)),
        "value": rng.standard_normal((8, 4, 128, 64)), "attn_mask": None}),
    hints={"forward": "scores = q @ k^T * scale (scale = 1/sqrt(E)); a boolean mask keeps scores where it is True "
                      "and puts -inf elsewhere BEFORE the softmax over the last axis (keys); a float mask is added; "
                      "a row with no key allowed gives 0. out = softmax @ v.",
           "backward": "dv = P^T dout; dP = dout v^T; dS = P * (dP - sum(dP * P, -1, keepdims)); "
                       "dq = dS k * scale; dk = dS^T q * scale."}))


def _torch_mha(query, key, value, *rest, num_heads=1, average_attn_weights=True):
    """`nn.MultiheadAttention` (batch_first) with our weights; `rest`: in_proj_weight (3E, E), in_proj_bias,
    out_proj_weight (E, E), out_proj_bias, key_padding_mask (N, S), attn_mask (L, S) or (N * heads, L, S)."""
    import torch
    from torch.func import functional_call

    in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, key_padding_mask, attn_mask = rest
    E = query.shape[-1]
    bias = in_proj_bias is not None
    module = torch.nn.MultiheadAttention(E, num_heads, bias=bias, batch_first=True, device="meta")
    params = {"in_proj_weight": in_proj_weight, "out_proj.weight": out_proj_weight}
    if bias:
        params.update({"in_proj_bias": in_proj_bias, "out_proj.bias": out_proj_bias})
    return functional_call(module, params, (query, key, value), {
        "key_padding_mask": key_padding_mask, "attn_mask": attn_mask, "need_weights": True,
        "average_attn_weights": average_attn_weights})


def _mha_cases(rng, hidden):
    n = rng.standard_normal

    def c(label, dims, bias=True, kpm=None, am=None, self_attention=False, scale=1.0, **kw):
        N, L, S, E, heads = dims
        q = scale * n((N, L, E))
        k, v = (q.copy(), q.copy()) if self_attention else (n((N, S, E)), n((N, S, E)))
        return Case(label, {"query": q, "key": k, "value": v, "in_proj_weight": n((3 * E, E)) / np.sqrt(E),
                            "in_proj_bias": n(3 * E) if bias else None, "out_proj_weight": n((E, E)) / np.sqrt(E),
                            "out_proj_bias": n(E) if bias else None, "key_padding_mask": kpm, "attn_mask": am},
                    {"num_heads": heads, **kw})

    if not hidden:
        return [
            c("self-attention N=2, T=4, E=6, 2 heads", (2, 4, 4, 6, 2), self_attention=True),
            c("batch of one, cross-attention L=3, S=5, 1 head", (1, 3, 5, 4, 1)),
            c("key_padding_mask (True: padding)", (2, 3, 4, 4, 2), kpm=np.array([[0, 0, 0, 1], [0, 0, 1, 1]], bool)),
            c("causal attn_mask (True: may NOT attend), no biases", (2, 4, 4, 6, 3), bias=False,
              am=np.triu(np.ones((4, 4), dtype=bool), 1)),
            c("per-head weights (average_attn_weights=False)", (2, 3, 3, 4, 2), average_attn_weights=False),
            c("large magnitudes (x 1000 queries)", (2, 3, 3, 4, 2), scale=1000.0),
        ] + [Case("exact zeros: zero inputs", {**c("", (2, 3, 3, 4, 2)).inputs, "query": np.zeros((2, 3, 4))},
                  {"num_heads": 2})]
    return [c("float attn_mask per head (N * heads, L, S)", (2, 3, 4, 4, 2), am=n((4, 3, 4))),
            c("both masks: padding and causal", (2, 4, 4, 4, 2), kpm=np.array([[0, 0, 0, 0], [0, 0, 0, 1]], bool),
              am=np.triu(np.ones((4, 4), dtype=bool), 1), self_attention=True),
            c("4 heads, E=8", (3, 5, 5, 8, 4), self_attention=True),
            c("float key_padding_mask", (2, 3, 3, 4, 1), kpm=n((2, 3)))]


_MHA = attention.multi_head_attention_forward


def _heads_split_wrong(query, key, value, *params, num_heads=1, average_attn_weights=True):
    """Multi-head attention with (N, L, E) reshaped straight to (N, heads, L, d) and back (no transpose)."""
    w_in, b_in, w_out, b_out, key_padding_mask, attn_mask = params
    n, L, E = query.shape
    heads = [linear_forward(x, w_in[j * E:(j + 1) * E], None if b_in is None else b_in[j * E:(j + 1) * E])[0]
             .reshape(n, num_heads, -1, E // num_heads) for j, x in enumerate((query, key, value))]
    mask = attention._mha_mask(key_padding_mask, attn_mask, n, num_heads, L, key.shape[1], query.dtype)
    o, (*_, p, _) = _SDPA(*heads, attn_mask=mask)
    out = linear_forward(o.reshape(n, L, E), w_out, b_out)[0]
    return (out, p.mean(axis=1) if average_attn_weights else p), None


def _mha_weights(pick):
    """The right multi-head attention whose attn_weights, when averaged, are `pick(p)` of the per-head p."""

    def forward(*args, num_heads=1, average_attn_weights=True):
        (out, p), _ = _MHA(*args, num_heads=num_heads, average_attn_weights=False)
        return (out, pick(p) if average_attn_weights else p), None

    return forward


def _mha_inputs(change):
    """The right multi-head attention on the inputs that `change(E, num_heads, inputs)` returns (a list of
    the nine, in order)."""

    def forward(*args, num_heads=1, average_attn_weights=True):
        args = change(args[0].shape[-1], num_heads, list(args))
        return _MHA(*args, num_heads=num_heads, average_attn_weights=average_attn_weights)

    return forward


def _sdpa_polarity(E, heads, a):
    """Masks read as SDPA's boolean ones: padding where key_padding_mask is 0, may not attend where attn_mask
    is not 0 (a float mask cast to bool)."""
    kpm, am = a[7:]
    return a[:7] + [None if kpm is None else kpm == 0, None if am is None else am != 0]


def _scale_of_e(E, heads, a):
    """The query projection scaled by sqrt(d / E): attention scores divided by sqrt(E), not sqrt(d)."""
    f = np.r_[np.full(E, heads ** -0.5), np.ones(2 * E)]
    a[3] = a[3] * f[:, None]
    a[4] = None if a[4] is None else a[4] * f
    return a


def _untransposed(E, heads, a):
    """Every projection as x @ W instead of x @ W.T."""
    a[3] = a[3].reshape(3, E, E).transpose(0, 2, 1).reshape(3 * E, E)
    a[5] = a[5].T
    return a


_MHA_MISTAKES = (
    mistake("the heads split along the wrong axis", "reshaping (N, L, E) straight to (N, heads, L, d) mixes "
            "positions and features; reshape to (N, L, heads, d), then transpose to (N, heads, L, d); merge back "
            "with the inverse transpose before the reshape to (N, L, E).", forward=_heads_split_wrong),
    mistake("the padding mask read as SDPA's", "nn.MultiheadAttention's key_padding_mask is True at padding, "
            "keys that may NOT be attended (the opposite of SDPA's boolean mask): invert it (~key_padding_mask) "
            "when you build an SDPA mask, and add float masks instead of casting them to bool.",
            forward=_mha_inputs(_sdpa_polarity)),
    mistake("the attention weights of the last head", "with average_attn_weights=True attn_weights is the mean "
            "over the heads, p.mean(axis=1), not one head's weights.", forward=_mha_weights(lambda p: p[:, -1])),
    mistake("the attention weights summed over the heads", "with average_attn_weights=True attn_weights is the "
            "mean over the heads: divide the sum by num_heads (p.mean(axis=1)).",
            forward=_mha_weights(lambda p: p.sum(axis=1))),
    mistake("scores scaled by 1/sqrt(E), not 1/sqrt(d)", "each head attends with its own dimension d = E / "
            "num_heads: divide the scores by sqrt(d), the head's size, not by sqrt(E).",
            forward=_mha_inputs(_scale_of_e)),
    mistake("the projections not transposed", "nn.Linear's weight is (out_features, in_features): project with "
            "x @ W.T (each block of in_proj_weight and out_proj_weight), not x @ W.",
            forward=_mha_inputs(_untransposed)),
)


register(OpSpec(
    name="multi_head_attention", chapter="08_attention", forward=attention.multi_head_attention_forward,
    backward=attention.multi_head_attention_backward, torch=_torch_mha,
    inputs=("query", "key", "value", "in_proj_weight", "in_proj_bias", "out_proj_weight", "out_proj_bias",
            "key_padding_mask", "attn_mask"),
    differentiable=("query", "key", "value", "in_proj_weight", "in_proj_bias", "out_proj_weight", "out_proj_bias"),
    outputs=("out", "attn_weights"), cases=_mha_cases, mistakes=_MHA_MISTAKES,
    bench=lambda rng: Case("bench N=8, T=128, E=256, 4 heads", {
        "query": rng.standard_normal((8, 128, 256)), "key": rng.standard_normal((8, 128, 256)),
        "value": rng.standard_normal((8, 128, 256)), "in_proj_weight": rng.standard_normal((768, 256)) / 16,
        "in_proj_bias": rng.standard_normal(768), "out_proj_weight": rng.standard_normal((256, 256)) / 16,
        "out_proj_bias": rng.standard_normal(256), "key_padding_mask": None, "attn_mask": None}, {"num_heads": 4}),
    hints={"forward": "Project q, k, v with the three blocks of in_proj_weight ([W_q; W_k; W_v]); split E into "
                      "num_heads heads of E / num_heads along the LAST axis, (N, L, E) -> (N, heads, L, d); "
                      "attention per head (nn.MultiheadAttention's boolean masks are True where a query may NOT "
                      "attend); concatenate the heads, then out_proj. attn_weights: the softmax, averaged over heads.",
           "backward": "Back through out_proj, merge -> split of the heads, the attention of each head (plus the "
                       "gradient of the averaged weights, / num_heads per head), then the three projections."}))


def _torch_layer_norm(x, weight=None, bias=None, normalized_shape=None, eps=1e-5):
    import torch.nn.functional as F

    shape = (x.shape[-1],) if normalized_shape is None else (
        (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape))
    return F.layer_norm(x, shape, weight, bias, eps)


def _layer_norm_cases(rng, hidden):
    n = rng.standard_normal

    def c(label, shape, ns=None, affine=True, x=None, **kw):
        norm = shape[-1:] if ns is None else ((ns,) if isinstance(ns, int) else ns)
        return Case(label, {"x": n(shape) if x is None else x, "weight": n(norm) if affine else None,
                            "bias": n(norm) if affine else None},
                    ({"normalized_shape": ns} if ns is not None else {}) | kw)

    if not hidden:
        const = n((3, 5))
        const[1] = 0.0
        return [c("tokens (2, 4, 6)", (2, 4, 6)), c("batch of one (1, 5)", (1, 5)),
                c("last two dims (2, 3, 4)", (2, 3, 4), ns=(3, 4)),
                c("a constant row (exact zeros)", (3, 5), x=const),
                c("large magnitudes (x * 1000 + 500)", (2, 6), x=1000 * n((2, 6)) + 500)]
    return [c("no weight, no bias", (4, 7), affine=False), c("eps 1e-3", (3, 2, 5), eps=1e-3),
            c("normalized_shape as int", (2, 6), ns=6)]


def _ln_slip(ddof=0, eps_outside=False, last_only=False, batch_axis=False):
    """A layer_norm forward with one slip: the variance with `ddof`, eps added to the standard deviation
    (`eps_outside`), statistics over the last axis alone (`last_only`: normalized_shape ignored) or over
    the batch axis 0 (`batch_axis`, batch norm's). It returns out and a cache of the reference's form."""

    def forward(x, weight=None, bias=None, normalized_shape=None, eps=1e-5):
        k = 1 if normalized_shape is None or np.isscalar(normalized_shape) else len(normalized_shape)
        axes = (0,) if batch_axis else (-1,) if last_only else tuple(range(x.ndim - k, x.ndim))
        mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, ddof=ddof, keepdims=True)
        xhat = (x - mean) / (np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps))
        out = xhat if weight is None else xhat * weight
        inv_std = 1.0 / (np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps))
        cache = (xhat, inv_std, weight, bias is not None, tuple(a % x.ndim for a in axes))
        return (out if bias is None else out + bias), cache

    return forward


def _ln_backward(dx_of=None, reduce=np.sum):
    """A layer_norm backward (reference cache) with dx = `dx_of(g, xhat, inv_std, axes)` (None: the right
    one) and dweight, dbias reduced over the leading (batch) axes with `reduce`."""

    def grads(spec, case, dout, cache):
        xhat, inv_std, weight, has_bias, axes = cache
        g = dout if weight is None else dout * weight
        dx = spec.backward(dout, cache)[0] if dx_of is None else dx_of(g, xhat, inv_std, axes)
        lead = tuple(range(xhat.ndim - len(axes)))
        return (dx, None if weight is None else reduce(dout * xhat, axis=lead),
                reduce(dout, axis=lead) if has_bias else None)

    return grads


_LN_MISTAKES = (
    mistake("the unbiased variance", "layer norm divides by sqrt of the BIASED variance, the mean of "
            "(x - mean)^2 over the normalized dims (np.var's default, ddof=0), not by (m - 1).",
            carry=True, forward=_ln_slip(ddof=1)),
    mistake("eps outside the square root", "the denominator is sqrt(var + eps), not sqrt(var) + eps: add eps to "
            "the variance, then take the root.", carry=True,
            forward=_ln_slip(eps_outside=True)),
    mistake("normalized_shape ignored", "layer norm reduces over ALL the trailing dims of normalized_shape "
            "(axis=(-2, -1) for a shape of two), not over the last axis alone.",
            carry=True, forward=_ln_slip(last_only=True)),
    mistake("the statistics over the batch axis", "layer norm normalises each sample over its own features "
            "(the last dims), not each feature over the batch (axis 0): that is batch norm.",
            forward=_ln_slip(batch_axis=True)),
    backward_mistake("the backward without the mean terms", "the mean and variance depend on x too, so dx = "
                     "inv_std / m * (m g - sum(g) - xhat * sum(g * xhat)), sums over the normalized dims; "
                     "g * inv_std alone treats them as constants.",
                     _ln_backward(lambda g, xhat, inv_std, axes: g * inv_std)),
    backward_mistake("dweight and dbias as means", "weight and bias are shared by every sample and position, so "
                     "their gradients SUM dout * xhat and dout over the leading (batch) dims: do not average.",
                     _ln_backward(reduce=np.mean)),
    backward_mistake("the variance's term left out", "the variance depends on x too: dx = inv_std / m * (m g - "
                     "sum(g) - xhat * sum(g * xhat)); the last term (xhat times the sum of g * xhat) is missing.",
                     _ln_backward(lambda g, xhat, inv_std, axes: inv_std * (g - g.mean(axis=axes, keepdims=True)))),
)


register(OpSpec(
    name="layer_norm", chapter="08_attention", forward=attention.layer_norm_forward,
    backward=attention.layer_norm_backward, torch=_torch_layer_norm, inputs=("x", "weight", "bias"),
    cases=_layer_norm_cases, mistakes=_LN_MISTAKES,
    bench=lambda rng: Case("bench (8, 128, 256)", {
        "x": rng.standard_normal((8, 128, 256)), "weight": rng.standard_normal(256), "bias": rng.standard_normal(256)}),
    hints={"forward": "Per sample: mean and BIASED variance over the normalized (last) dims; "
                      "(x - mean) / sqrt(var + eps) * weight + bias.",
           "backward": "dx = inv_std / m * (m g - sum(g) - xhat sum(g xhat)) with g = dout * weight; "
                       "dweight = sum over the batch dims of dout * xhat, dbias = sum of dout."}))


def _torch_encoder_layer(x, *rest, num_heads=1, eps=1e-5):
    import torch
    from torch.func import functional_call

    *params, src_key_padding_mask, src_mask = rest
    E, ff = x.shape[-1], params[4].shape[0]
    layer = torch.nn.TransformerEncoderLayer(E, num_heads, ff, dropout=0.0, batch_first=True, norm_first=True,
                                             layer_norm_eps=eps, device="meta")
    names = ["self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
             "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
             "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"]
    return functional_call(layer, dict(zip(names, params)), (x,),
                           {"src_key_padding_mask": src_key_padding_mask, "src_mask": src_mask})


def _encoder_cases(rng, hidden):
    n = rng.standard_normal

    def c(label, dims, kpm=None, mask=None, x=None):
        N, T, E, heads, ff = dims
        p = {"in_proj_weight": n((3 * E, E)) / np.sqrt(E), "in_proj_bias": 0.1 * n(3 * E),
             "out_proj_weight": n((E, E)) / np.sqrt(E), "out_proj_bias": 0.1 * n(E),
             "linear1_weight": n((ff, E)) / np.sqrt(E), "linear1_bias": 0.1 * n(ff),
             "linear2_weight": n((E, ff)) / np.sqrt(ff), "linear2_bias": 0.1 * n(E),
             "norm1_weight": 1 + 0.1 * n(E), "norm1_bias": 0.1 * n(E), "norm2_weight": 1 + 0.1 * n(E),
             "norm2_bias": 0.1 * n(E)}
        return Case(label, {"x": n((N, T, E)) if x is None else x, **p, "src_key_padding_mask": kpm,
                            "src_mask": mask}, {"num_heads": heads}, smooth=False)  # relu: kinks

    if not hidden:
        return [c("N=2, T=4, E=6, 2 heads, ff=12", (2, 4, 6, 2, 12)),
                c("batch of one, causal src_mask", (1, 5, 4, 1, 8), mask=np.triu(np.ones((5, 5), dtype=bool), 1)),
                c("padding: src_key_padding_mask", (2, 4, 4, 2, 6), kpm=np.array([[0, 0, 0, 1], [0, 0, 0, 0]], bool)),
                c("exact zeros and large magnitudes", (2, 3, 4, 2, 8),
                  x=np.concatenate([np.zeros((1, 3, 4)), 1000 * n((1, 3, 4))]))]
    return [c("4 heads, E=8, ff=32", (2, 6, 8, 4, 32)), c("one token", (3, 1, 4, 2, 4)),
            c("both masks", (2, 3, 4, 2, 8), kpm=np.array([[0, 0, 1], [0, 0, 0]], bool),
              mask=np.triu(np.ones((3, 3), dtype=bool), 1))]


def _encoder_slip(post_norm=False, normed_residual=False, ffn_residual=True, activation=True, masks=(True, True)):
    """A pre-norm encoder layer forward (the output only) with one slip: the norms after the residual sums
    (`post_norm`, PyTorch's default norm_first=False), the residuals starting from the normed input instead of
    x (`normed_residual`), no residual around the feed-forward (`ffn_residual` False), no relu (`activation`
    False), or a mask not passed on to the attention (`masks`: (src_key_padding_mask kept, src_mask kept))."""

    def forward(x, *rest, num_heads=1, eps=1e-5):
        *p, kpm, src_mask = rest
        w_in, b_in, w_out, b_out, w1, b1, w2, b2, g1, be1, g2, be2 = p

        def attend(a):
            return _MHA(a, a, a, w_in, b_in, w_out, b_out, kpm if masks[0] else None, src_mask if masks[1] else None,
                        num_heads)[0][0]

        def ffn(b):
            z = linear_forward(b, w1, b1)[0]
            return linear_forward(np.maximum(z, 0.0) if activation else z, w2, b2)[0]

        def norm(v, g, be):
            return attention.layer_norm_forward(v, g, be, eps=eps)[0]

        if post_norm:
            h = norm(x + attend(x), g1, be1)
            return norm(h + ffn(h), g2, be2)
        a = norm(x, g1, be1)
        h = (a if normed_residual else x) + attend(a)
        b = norm(h, g2, be2)
        return ((b if normed_residual else h) if ffn_residual else 0.0) + ffn(b)

    return forward


_ENCODER_MISTAKES = (
    forward_mistake("post-norm instead of pre-norm", "this layer is norm_first=True (pre-norm): each norm sits at "
                    "the entrance of its branch, x = x + attn(LN1(x)), then x = x + FFN(LN2(x)); LN(x + attn(x)) "
                    "is the post-norm form (PyTorch's default).", _encoder_slip(post_norm=True)),
    forward_mistake("the residual taken after the norm", "the residual adds the branch to the layer's input x, "
                    "not to the normed LN1(x): h = x + attn(LN1(x)), out = h + FFN(LN2(h)); keep x aside "
                    "before you normalise.", _encoder_slip(normed_residual=True)),
    forward_mistake("the feed-forward's residual left out", "the feed-forward branch is wrapped in a residual "
                    "connection too: out = h + FFN(LN2(h)), not FFN(LN2(h)).", _encoder_slip(ffn_residual=False)),
    forward_mistake("the feed-forward without its relu", "FFN(b) = linear2(relu(linear1(b))): without the "
                    "activation the two linear layers collapse into one.", _encoder_slip(activation=False)),
    forward_mistake("src_mask ignored", "pass src_mask on to the self-attention as its attn_mask (True: may NOT "
                    "attend, so a causal mask is np.triu(ones, 1)).", _encoder_slip(masks=(True, False))),
    forward_mistake("src_key_padding_mask ignored", "pass src_key_padding_mask on to the self-attention as its "
                    "key_padding_mask (True at padding).", _encoder_slip(masks=(False, True))),
)


register(OpSpec(
    name="transformer_encoder_layer", chapter="08_attention", forward=attention.transformer_encoder_layer_forward,
    backward=attention.transformer_encoder_layer_backward, torch=_torch_encoder_layer,
    inputs=("x", *attention.ENCODER_PARAMS, "src_key_padding_mask", "src_mask"),
    differentiable=("x", *attention.ENCODER_PARAMS), cases=_encoder_cases, kinks=True, mistakes=_ENCODER_MISTAKES,
    bench=lambda rng: Case("bench N=8, T=128, E=256, 4 heads, ff=1024", {
        "x": rng.standard_normal((8, 128, 256)),
        **{k: rng.standard_normal(s) / np.sqrt(s[-1]) for k, s in zip(attention.ENCODER_PARAMS, [
            (768, 256), (768,), (256, 256), (256,), (1024, 256), (1024,), (256, 1024), (256,), (256,), (256,),
            (256,), (256,)])}, "src_key_padding_mask": None, "src_mask": None}, {"num_heads": 4}),
    hints={"forward": "Pre-norm: x + SelfAttention(LayerNorm1(x)), then + FFN(LayerNorm2(...)), FFN = linear2(relu("
                      "linear1)).",
           "backward": "Backward in reverse order; each residual connection adds the gradient that skips the branch "
                       "to the one that went through it."}))
