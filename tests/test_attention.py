"""Chapter 08 beyond the registry: the two mask conventions, fully masked rows, positional encoding,
the causal mask, and the encoder block inside a stack."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit.reference import attention as A

F64 = torch.float64


def test_sdpa_and_mha_masks_mean_opposite_things():
    """SDPA's boolean mask is True where a query MAY attend; nn.MultiheadAttention's where it may NOT."""
    rng = np.random.default_rng(0)
    q, k, v = rng.standard_normal((3, 2, 4, 4))
    allowed = np.array([[1, 1, 0, 0]] * 4, dtype=bool)
    out, _ = A.scaled_dot_product_attention_forward(q, k, v, attn_mask=allowed)
    only_two, _ = A.scaled_dot_product_attention_forward(q, k[:, :2], v[:, :2])
    np.testing.assert_allclose(out, only_two, atol=1e-14)
    E = 4
    w_in, w_out = np.concatenate([np.eye(E)] * 3), np.eye(E)  # identity projections: one-head MHA is SDPA
    (mha_out, _), _ = A.multi_head_attention_forward(q, k, v, w_in, None, w_out, None, attn_mask=~allowed)
    np.testing.assert_allclose(mha_out, out, atol=1e-14)
    (same, _), _ = A.multi_head_attention_forward(q, k, v, w_in, None, w_out, None,
                                                  key_padding_mask=np.array([[0, 0, 1, 1]] * 2, dtype=bool))
    np.testing.assert_allclose(same, out, atol=1e-14)


def test_fully_masked_rows_give_zero_like_sdpa_where_multihead_attention_gives_nan():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 4))
    w_in, w_out, b_in, b_out = rng.standard_normal((12, 4)), rng.standard_normal((4, 4)), np.zeros(12), np.zeros(4)
    kpm = np.array([[False, False, False], [True, True, True]])  # the second sequence is all padding
    (out, w), cache = A.multi_head_attention_forward(x, x, x, w_in, b_in, w_out, b_out, key_padding_mask=kpm,
                                                     num_heads=2)
    assert np.isfinite(out).all() and (w[1] == 0).all()
    np.testing.assert_allclose(out[1], np.broadcast_to(b_out, (3, 4)))  # no value reaches it: only the bias
    grads = A.multi_head_attention_backward(np.ones_like(out), np.zeros_like(w), cache)
    assert all(np.isfinite(g).all() for g in grads if g is not None)
    mha = torch.nn.MultiheadAttention(4, 2, batch_first=True, dtype=F64)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.tensor(w_in))
        mha.out_proj.weight.copy_(torch.tensor(w_out))
        mha.in_proj_bias.zero_()
        mha.out_proj.bias.zero_()
    t_out, _ = mha(*(torch.tensor(x),) * 3, key_padding_mask=torch.tensor(kpm))
    assert torch.isnan(t_out[1]).all()  # PyTorch: NaN where the reference documents 0
    np.testing.assert_allclose(out[0], t_out[0].detach().numpy(), atol=1e-13)
    # SDPA itself returns 0 there, as the reference
    q = torch.tensor(rng.standard_normal((1, 3, 4)))
    dead = torch.tensor([[True, True], [False, False], [True, False]])
    t = F.scaled_dot_product_attention(q, q[:, :2], q[:, :2], attn_mask=dead)
    ours, _ = A.scaled_dot_product_attention_forward(q.numpy(), q.numpy()[:, :2], q.numpy()[:, :2],
                                                     attn_mask=dead.numpy())
    np.testing.assert_allclose(ours, t.numpy(), atol=1e-14)
    assert (ours[0, 1] == 0).all()


def test_causal_attention_never_looks_ahead():
    rng = np.random.default_rng(2)
    q, k, v = rng.standard_normal((3, 1, 5, 3))
    out, _ = A.scaled_dot_product_attention_forward(q, k, v, is_causal=True)
    v2 = v.copy()
    v2[:, 3:] += 100.0  # change the future
    out2, _ = A.scaled_dot_product_attention_forward(q, k, v2, is_causal=True)
    np.testing.assert_array_equal(out[:, :3], out2[:, :3])
    with pytest.raises(ValueError, match="attn_mask or is_causal=True, not both"):
        A.scaled_dot_product_attention_forward(q, k, v, attn_mask=np.ones((5, 5), bool), is_causal=True)


def test_positional_encoding():
    pe = A.positional_encoding(50, 16)
    t, i = np.arange(50)[:, None], np.arange(8)[None, :]
    np.testing.assert_allclose(pe[:, 0::2], np.sin(t / 10000 ** (2 * i / 16)))
    np.testing.assert_allclose(pe[:, 1::2], np.cos(t / 10000 ** (2 * i / 16)))
    assert A.positional_encoding(7, 5).shape == (7, 5)  # odd width: the last sine has no cosine
    # a fixed offset is a rotation: PE[t + k] is the same linear map of PE[t] for every t
    m, *_ = np.linalg.lstsq(pe[:40], pe[3:43], rcond=None)
    np.testing.assert_allclose(pe[:40] @ m, pe[3:43], atol=1e-8)


def test_a_stack_of_encoder_layers_matches_nn_transformer_encoder():
    rng = np.random.default_rng(3)
    E, heads, ff, depth = 8, 2, 16, 3
    layer = torch.nn.TransformerEncoderLayer(E, heads, ff, dropout=0.0, batch_first=True, norm_first=True, dtype=F64)
    enc = torch.nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
    params = {n: p.detach().numpy() for n, p in enc.named_parameters()}
    x = rng.standard_normal((2, 6, E))
    causal = np.triu(np.ones((6, 6), dtype=bool), 1)
    h, caches = x, []
    for i in range(depth):
        p = [params[f"layers.{i}.{n}"] for n in ("self_attn.in_proj_weight", "self_attn.in_proj_bias",
                                                 "self_attn.out_proj.weight", "self_attn.out_proj.bias",
                                                 "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
                                                 "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias")]
        h, c = A.transformer_encoder_layer_forward(h, *p, src_mask=causal, num_heads=heads)
        caches.append(c)
    tx = torch.tensor(x, requires_grad=True)
    out = enc(tx, mask=torch.tensor(causal))
    np.testing.assert_allclose(h, out.detach().numpy(), atol=1e-12)
    dout = rng.standard_normal(h.shape)
    out.backward(torch.tensor(dout))
    d = dout
    for c in reversed(caches):
        d = A.transformer_encoder_layer_backward(d, c)[0]
    np.testing.assert_allclose(d, tx.grad.numpy(), atol=1e-11)


def test_attention_errors_name_the_argument_and_shapes():
    q = np.zeros((2, 3, 4))
    with pytest.raises(ValueError, match=r"query \(\.\.\., L, E\), key .* do not fit: query \(2, 3, 4\), key \(2, 5, 3\)"):
        A.scaled_dot_product_attention_forward(q, np.zeros((2, 5, 3)), np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=r"attn_mask of shape \(4, 4\) does not broadcast to the scores"):
        A.scaled_dot_product_attention_forward(q, q, q, attn_mask=np.ones((4, 4), bool))
    with pytest.raises(TypeError, match=r"attn_mask must be boolean \(True: may attend\) or float"):
        A.scaled_dot_product_attention_forward(q, q, q, attn_mask=np.ones((3, 3), int))
    w_in, w_out = np.zeros((12, 4)), np.zeros((4, 4))
    with pytest.raises(ValueError, match=r"embed_dim 4 .* must be divisible by num_heads 3"):
        A.multi_head_attention_forward(q, q, q, w_in, None, w_out, None, num_heads=3)
    with pytest.raises(ValueError, match=r"key_padding_mask must have shape \(N, S\) = \(2, 3\), got \(3, 2\)"):
        A.multi_head_attention_forward(q, q, q, w_in, None, w_out, None, key_padding_mask=np.zeros((3, 2), bool))
    with pytest.raises(ValueError, match=r"x \(2, 3, 4\) must end with normalized_shape \(3,\)"):
        A.layer_norm_forward(q, normalized_shape=3)
