"""Chapter 08, attention: scaled dot-product and multi-head attention, layer_norm, an encoder layer."""
from __future__ import annotations

import numpy as np

from ..reference import attention
from .spec import Case, OpSpec, register


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


register(OpSpec(
    name="scaled_dot_product_attention", chapter="08_attention",
    forward=attention.scaled_dot_product_attention_forward, backward=attention.scaled_dot_product_attention_backward,
    torch=_torch_sdpa, inputs=("query", "key", "value", "attn_mask"), differentiable=("query", "key", "value"),
    cases=_sdpa_cases,
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


register(OpSpec(
    name="multi_head_attention", chapter="08_attention", forward=attention.multi_head_attention_forward,
    backward=attention.multi_head_attention_backward, torch=_torch_mha,
    inputs=("query", "key", "value", "in_proj_weight", "in_proj_bias", "out_proj_weight", "out_proj_bias",
            "key_padding_mask", "attn_mask"),
    differentiable=("query", "key", "value", "in_proj_weight", "in_proj_bias", "out_proj_weight", "out_proj_bias"),
    outputs=("out", "attn_weights"), cases=_mha_cases,
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


register(OpSpec(
    name="layer_norm", chapter="08_attention", forward=attention.layer_norm_forward,
    backward=attention.layer_norm_backward, torch=_torch_layer_norm, inputs=("x", "weight", "bias"),
    cases=_layer_norm_cases,
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


register(OpSpec(
    name="transformer_encoder_layer", chapter="08_attention", forward=attention.transformer_encoder_layer_forward,
    backward=attention.transformer_encoder_layer_backward, torch=_torch_encoder_layer,
    inputs=("x", *attention.ENCODER_PARAMS, "src_key_padding_mask", "src_mask"),
    differentiable=("x", *attention.ENCODER_PARAMS), cases=_encoder_cases, kinks=True,
    bench=lambda rng: Case("bench N=8, T=128, E=256, 4 heads, ff=1024", {
        "x": rng.standard_normal((8, 128, 256)),
        **{k: rng.standard_normal(s) / np.sqrt(s[-1]) for k, s in zip(attention.ENCODER_PARAMS, [
            (768, 256), (768,), (256, 256), (256,), (1024, 256), (1024,), (256, 1024), (256,), (256,), (256,),
            (256,), (256,)])}, "src_key_padding_mask": None, "src_mask": None}, {"num_heads": 4}),
    hints={"forward": "Pre-norm: x + SelfAttention(LayerNorm1(x)), then + FFN(LayerNorm2(...)), FFN = linear2(relu("
                      "linear1)).",
           "backward": "Backward in reverse order; each residual connection adds the gradient that skips the branch "
                       "to the one that went through it."}))
