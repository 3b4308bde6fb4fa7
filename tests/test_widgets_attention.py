"""Chapter 08 widgets driven headless: the attention explorer and the query-key playground."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit.reference.attention import ENCODER_PARAMS, positional_encoding
from coursekit.widgets import AttentionExplorer, QueryKeyPlayground
from coursekit.widgets import attention as wa

F64 = torch.float64


class TinyEncoder(torch.nn.Module):
    """The model EncoderStack describes: embedding + sinusoidal positions -> pre-norm encoder layers -> head."""

    def __init__(self, vocab=10, d_model=8, heads=2, layers=2, ff=16):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, d_model, dtype=F64)
        layer = torch.nn.TransformerEncoderLayer(d_model, heads, ff, dropout=0.0, batch_first=True, norm_first=True,
                                                 dtype=F64)
        self.encoder = torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = torch.nn.Linear(d_model, vocab, dtype=F64)

    def inputs(self, ids):
        return self.embed(ids) + torch.tensor(positional_encoding(ids.shape[-1], self.embed.embedding_dim))

    def forward(self, ids, mask=None, src_key_padding_mask=None):
        return self.head(self.encoder(self.inputs(ids), mask=mask, src_key_padding_mask=src_key_padding_mask))


@pytest.fixture(scope="module")
def torch_model():
    torch.manual_seed(0)
    return TinyEncoder().eval()


@pytest.fixture(scope="module")
def stack(torch_model):
    return wa.EncoderStack.from_state_dict(torch_model.state_dict(), vocab="0123456789", num_heads=2)


@pytest.fixture
def explorer():
    w = AttentionExplorer(text="31415926", seed=0)
    yield w
    w.close()


@pytest.fixture
def playground():
    w = QueryKeyPlayground()
    yield w
    w.close()


def torch_maps(model, text, causal=False, pad=0):
    """nn.MultiheadAttention's per-head weights inside every pre-norm layer of `model`: [(heads, L, L)]."""
    ids = torch.tensor([[int(c) for c in text]])
    L = ids.shape[1]
    mask = torch.triu(torch.ones(L, L, dtype=torch.bool), 1) if causal else None
    kpm = None
    if pad:
        kpm = torch.zeros(1, L, dtype=torch.bool)
        kpm[0, L - pad:] = True
    maps = []
    with torch.no_grad():
        x = model.inputs(ids)
        for layer in model.encoder.layers:
            a = layer.norm1(x)
            _, w = layer.self_attn(a, a, a, attn_mask=mask, key_padding_mask=kpm, need_weights=True,
                                   average_attn_weights=False)
            maps.append(w[0].numpy())
            x = layer(x, src_mask=mask, src_key_padding_mask=kpm)
    return maps


def assert_explorer_consistent(w):
    """The map shown is a probability distribution over the allowed keys, and the drawing shows it."""
    L = len(w.tokens)
    expected_mask = np.zeros((L, L), dtype=bool)
    if w.causal:
        expected_mask |= np.triu(np.ones((L, L), dtype=bool), 1)
    expected_mask[:, L - w.pad:] |= w.pad > 0
    np.testing.assert_array_equal(w.mask, expected_mask)
    np.testing.assert_array_equal(w.weights, w.maps[w.layer][w.head])
    assert (w.weights[w.mask] == 0).all()  # exactly 0, not just small
    alive = ~w.mask.all(axis=1)
    np.testing.assert_allclose(w.weights[alive].sum(axis=1), 1.0, rtol=1e-12)
    assert (w.weights[~alive] == 0).all()  # fully masked rows: zeros, no NaN
    drawn = w.im.get_array()
    np.testing.assert_array_equal(np.ma.getdata(drawn), w.weights)
    np.testing.assert_array_equal(np.ma.getmaskarray(drawn), w.mask)
    assert [t.get_text() for t in w.ax.get_xticklabels()] == [f"{t}\n{j}" for j, t in enumerate(w.tokens)]
    assert f"layer {w.layer}, head {w.head}" in w.ax.get_title()


# ------------------------------------------------------------------ pure helpers

def test_tokenize_and_masks():
    np.testing.assert_array_equal(wa.tokenize("3141 5"), [3, 1, 4, 1, 5])
    np.testing.assert_array_equal(wa.tokenize("the cat", vocab=["cat", "the"]), [1, 0])
    src, kpm = wa.attention_masks(4, causal=True, pad=1)
    np.testing.assert_array_equal(src, np.triu(np.ones((4, 4), bool), 1))  # True above the diagonal: may NOT attend
    np.testing.assert_array_equal(kpm, [[False, False, False, True]])
    assert wa.attention_masks(4) == (None, None)
    np.testing.assert_array_equal(wa.blocked(3, causal=True, pad=1), [[0, 1, 1], [0, 0, 1], [0, 0, 1]])


def test_encoder_forward_matches_the_torch_model(torch_model, stack):
    assert (stack.num_layers, stack.num_heads, stack.d_model) == (2, 2, 8)
    text = "31415926"
    ids = torch.tensor([[int(c) for c in text]])
    for causal, pad in [(False, 0), (True, 0), (False, 3), (True, 2)]:
        logits, maps = wa.encoder_forward(stack, text, causal=causal, pad=pad)
        mask = torch.triu(torch.ones(8, 8, dtype=torch.bool), 1) if causal else None
        kpm = torch.arange(8)[None] >= 8 - pad if pad else None
        with torch.no_grad():
            expected = torch_model(ids, mask=mask, src_key_padding_mask=kpm)[0].numpy()
        np.testing.assert_allclose(logits, expected, atol=1e-12)
        for ours, theirs in zip(maps, torch_maps(torch_model, text, causal, pad)):
            assert ours.shape == (2, 8, 8)
            np.testing.assert_allclose(ours, theirs, atol=1e-13)


def test_random_stack_is_seeded_and_checked():
    a, b, c = (wa.EncoderStack.random(seed=s) for s in (0, 0, 1))
    np.testing.assert_array_equal(a.embedding, b.embedding)
    assert not np.array_equal(a.embedding, c.embedding)
    assert (a.num_layers, a.num_heads, a.d_model, len(a.vocab)) == (2, 2, 16, 10)
    layers = [dict(zip(ENCODER_PARAMS, p)) for p in a.layers]
    assert wa.EncoderStack(a.embedding, layers, 2).layers[1][0] is not a.layers[1][0]  # dicts work, copied
    with pytest.raises(ValueError, match=r"layers\[0\].in_proj_weight must have shape \(48, 16\)"):
        wa.EncoderStack(a.embedding, [[np.zeros((4, 4)), *a.layers[0][1:]]], 2)
    with pytest.raises(ValueError, match="embedding must be"):
        wa.EncoderStack(a.embedding[:5], a.layers, 2)
    with pytest.raises(ValueError, match="num_heads 3 must divide"):
        wa.EncoderStack(a.embedding, a.layers, 3)
    with pytest.raises(ValueError, match="model must be an EncoderStack"):
        wa.encoder_forward({"embedding": a.embedding}, "123")


# ------------------------------------------------------------------ AttentionExplorer

def test_explorer_shows_a_distribution_over_the_keys(explorer):
    assert_explorer_consistent(explorer)
    assert explorer.tokens == list("31415926") and len(explorer.maps) == 2
    assert explorer.maps[0].shape == (2, 8, 8)
    assert not explorer.mask.any() and (explorer.weights > 0).all()  # no mask: every key gets some weight
    assert "strongest key per query" in explorer.status.value


def test_causal_mask_zeroes_the_upper_triangle(explorer):
    n = explorer.n_renders
    explorer.controls["causal"].value = True
    assert explorer.n_renders == n + 1
    assert_explorer_consistent(explorer)
    assert (np.triu(explorer.weights, 1) == 0).all()
    assert explorer.weights[0, 0] == pytest.approx(1.0)  # the first query can only look at itself
    assert (explorer.weights[np.tril_indices(8)] > 0).all()
    assert "causal" in explorer.ax.get_title()


def test_padding_masks_the_last_keys(explorer):
    before = explorer.weights.copy()
    explorer.controls["pad"].value = 3
    assert_explorer_consistent(explorer)
    assert (explorer.weights[:, 5:] == 0).all() and (explorer.weights[:, :5] > 0).all()
    assert not np.allclose(explorer.weights[:, :5], before[:, :5])  # renormalised over the 5 keys left
    explorer.controls["causal"].value = True  # both masks at once
    assert_explorer_consistent(explorer)
    assert (np.triu(explorer.weights, 1) == 0).all() and (explorer.weights[:, 5:] == 0).all()
    explorer.controls["pad"].value = 8  # nothing left to attend to: rows of zeros, said in the status
    assert_explorer_consistent(explorer)
    assert (explorer.weights == 0).all() and np.isfinite(explorer.out).all()
    assert "fully masked" in explorer.status.value


def test_switching_head_and_layer_changes_the_map(explorer):
    seen = {}
    for layer in (0, 1):
        for head in (0, 1):
            explorer.controls["layer"].value = layer
            explorer.controls["head"].value = head
            assert_explorer_consistent(explorer)
            seen[layer, head] = explorer.weights.copy()
    keys = list(seen)
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            assert not np.allclose(seen[a], seen[b]), (a, b)


def test_explorer_heatmap_equals_torch_multihead_weights(torch_model, stack):
    w = AttentionExplorer(stack, text="27182818", layer=1, head=1)
    try:
        for causal, pad in [(False, 0), (True, 0), (False, 2), (True, 3)]:
            w.controls["causal"].value = causal
            w.controls["pad"].value = pad
            assert_explorer_consistent(w)
            expected = torch_maps(torch_model, "27182818", causal, pad)
            np.testing.assert_allclose(w.weights, expected[1][1], atol=1e-13)
        logits = wa.encoder_forward(stack, "27182818", True, 3)[0]
        assert "".join(str(c) for c in logits.argmax(1)) in w.status.value  # the head's prediction
    finally:
        w.close()


def test_typing_a_string_updates_tokens_and_padding_range(explorer):
    explorer.controls["pad"].value = 6
    explorer.controls["text"].value = "1234"
    assert explorer.tokens == list("1234") and explorer.weights.shape == (4, 4)
    assert explorer.controls["pad"].max == 4 and explorer.controls["pad"].value == 4
    explorer.controls["pad"].value = 1
    assert_explorer_consistent(explorer)
    explorer.controls["text"].value = "98765432109"
    assert explorer.controls["pad"].max == 11 and explorer.weights.shape == (11, 11)
    assert_explorer_consistent(explorer)


def test_a_rejected_string_keeps_the_map_and_says_why(explorer):
    before = explorer.weights.copy()
    explorer.controls["text"].value = "12x4"
    assert "'x' at position 2" in explorer.error and "not in the vocabulary" in explorer.status.value
    np.testing.assert_array_equal(explorer.weights, before)
    explorer.controls["text"].value = ""
    assert "empty" in explorer.error
    explorer.controls["text"].value = "31415926"
    assert explorer.error == "" and "color:#c00" not in explorer.status.value


def test_explorer_bad_arguments_raise_value_error_naming_them():
    with pytest.raises(ValueError, match=r"text has the token 'x' at position 1"):
        AttentionExplorer(text="1x")
    with pytest.raises(ValueError, match="text must hold at least one token"):
        AttentionExplorer(text="")
    with pytest.raises(ValueError, match="text must hold at least one token"):
        wa.tokenize("   ")
    with pytest.raises(ValueError, match="text must have at most 32 tokens"):
        wa.tokenize("1" * 33)
    with pytest.raises(ValueError, match="text must be a string"):
        wa.tokenize(123)
    with pytest.raises(ValueError, match=r"head must be an int in \[0, 1\], got 2"):
        AttentionExplorer(head=2)
    with pytest.raises(ValueError, match=r"layer must be an int in \[0, 1\], got -1"):
        AttentionExplorer(layer=-1)
    with pytest.raises(ValueError, match=r"pad must be an int in \[0, 3\], got 4"):
        AttentionExplorer(text="123", pad=4)
    with pytest.raises(ValueError, match="model must be an EncoderStack"):
        AttentionExplorer(model=[np.zeros((10, 4))])
    with pytest.raises(ValueError, match="tokens must be a string or ids"):
        wa.encoder_forward(wa.EncoderStack.random(), np.array([1, 10]))


# ------------------------------------------------------------------ QueryKeyPlayground

def softmax(s):
    e = np.exp(s - s.max())
    return e / e.sum()


def assert_playground_consistent(w):
    q, k, v = w.query, w.keys, w.values
    factor = np.sqrt(w.d / 2) / (np.sqrt(w.d) if w.scaled else 1.0)
    assert w.factor == pytest.approx(factor, rel=1e-12)
    np.testing.assert_allclose(w.scores, k @ q * factor, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w.weights, softmax(k @ q * factor), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(w.weights, F.softmax(torch.tensor(k @ q) * factor, dim=0).numpy(), atol=1e-14)
    np.testing.assert_allclose(w.output, w.weights @ v, atol=1e-14)  # the weighted mean of the values
    t_out = F.scaled_dot_product_attention(torch.tensor(q)[None], torch.tensor(k), torch.tensor(v), scale=factor)
    np.testing.assert_allclose(w.output, t_out[0].numpy(), atol=1e-14)
    # drawn: the bars, the query, the output star
    np.testing.assert_allclose([b.get_height() for b in w.bars], w.weights)
    np.testing.assert_array_equal(np.ravel(w.query_dot.get_data()), q)
    np.testing.assert_array_equal(np.ravel(w.out_dot.get_data()), w.output)


def test_playground_every_control_changes_the_weights(playground):
    assert_playground_consistent(playground)
    for control, value in [("qx", -2.0), ("qy", 2.5), ("d", 64), ("scaled", False)]:
        before, n = playground.weights.copy(), playground.n_renders
        playground.controls[control].value = value
        assert playground.n_renders == n + 1
        assert_playground_consistent(playground)
        if control == "d":  # with the scale, the weights do not depend on d ...
            np.testing.assert_allclose(playground.weights, before, rtol=1e-12)
        else:  # ... while moving the query, or dropping the scale at d = 64, changes them
            assert not np.allclose(playground.weights, before), control
    assert playground.status.value.startswith("d = 64: raw scores")


def test_without_the_scale_large_d_saturates_the_softmax(playground):
    playground.controls["qx"].value, playground.controls["qy"].value = 0.8, 0.4
    scaled = playground.weights.copy()
    entropy = playground.entropy
    assert scaled.max() < 0.5  # a soft mix at d = 2 with the scale
    maxima = []
    playground.controls["scaled"].value = False
    for d in (2, 16, 128, 1024):
        playground.controls["d"].value = d
        assert_playground_consistent(playground)
        maxima.append(playground.weights.max())
    assert maxima == sorted(maxima) and maxima[-1] > 0.999  # sharper and sharper: nearly one-hot
    assert playground.entropy < 0.01 < entropy
    assert int(np.argmax(playground.weights)) == int(np.argmax(scaled))  # the same winner, all the weight
    np.testing.assert_allclose(playground.output, playground.values[np.argmax(scaled)], atol=1e-3)


def test_the_output_is_the_weighted_mean_of_given_values():
    keys, values = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]), np.array([[0.0, 0.0], [2.0, 2.0], [4.0, 0.0]])
    w = QueryKeyPlayground(keys=keys, values=values, query=(0.0, 0.0))
    try:
        np.testing.assert_allclose(w.weights, 1 / 3)  # q = 0: every score 0, a uniform mix
        np.testing.assert_allclose(w.output, values.mean(axis=0))
        w.controls["qy"].value = 3.0
        assert_playground_consistent(w)
        assert w.weights[1] > 0.8 and w.output[1] > 1.6  # pulled towards v1
    finally:
        w.close()


def test_playground_bad_arguments_raise_value_error_naming_them():
    with pytest.raises(ValueError, match=r"keys must be 2-D points of shape \(n, 2\), got shape \(3, 3\)"):
        QueryKeyPlayground(keys=np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"values must be 2-D points of shape \(5, 2\), one per key"):
        QueryKeyPlayground(values=np.zeros((4, 2)))
    with pytest.raises(ValueError, match="query must be a 2-D point"):
        QueryKeyPlayground(query=(1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="query must be a 2-D point"):
        QueryKeyPlayground(query=(5.0, 0.0))
    with pytest.raises(ValueError, match="d must be one of"):
        QueryKeyPlayground(d=3)
    with pytest.raises(ValueError, match=r"d must be an int in \[1, "):
        wa.score_factor(0)
    with pytest.raises(ValueError, match=r"query must be a 2-D point, shape \(2,\)"):
        wa.query_key_attention(np.zeros(3), np.zeros((2, 2)))


def test_widgets_build_their_box_close_cleanly_and_create_no_pyplot_figures():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    for w in (AttentionExplorer(text="123"), QueryKeyPlayground()):
        box = w.widget
        assert w.image in box.children and w.status in box.children and len(w.png) > 1000
        assert all(c in box.children[-3].children for c in w.controls.values())
        w.close()
        w.close()  # twice is harmless
    assert plt.get_fignums() == before, "widgets must not create pyplot figures (they would show twice)"
