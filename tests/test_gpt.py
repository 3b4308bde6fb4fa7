"""Chapter 08's decoder-only character model (coursekit.reference.gpt): the NumPy forward and backward
against a PyTorch twin and against numerical gradients, the causal property, sampling (seeded,
greedy top_k=1, argument errors), a short training run on the docstrings, and the GPT-vs-LSTM comparison."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from coursekit import backend, data
from coursekit.gradcheck import gradcheck
from coursekit.reference import gpt, rnn

pytestmark = pytest.mark.usefixtures("one_blas_thread")  # tests/conftest.py

V, BLOCK, E, LAYERS, HEADS, FF = 11, 6, 8, 2, 2, 12


class TorchGPT(nn.Module):
    """The PyTorch twin: embeddings, pre-norm GELU encoder layers with a causal mask, layer norm, linear.
    Its state_dict keys are gpt.param_names(num_layers)."""

    def __init__(self, vocab_size, block_size, d_model, num_layers, num_heads, d_ff):
        super().__init__()
        self.tok_emb = nn.Embedding(vocab_size, d_model)
        self.pos_emb = nn.Embedding(block_size, d_model)
        self.blocks = nn.ModuleList(nn.TransformerEncoderLayer(d_model, num_heads, d_ff, dropout=0.0, activation="gelu",
                                                               batch_first=True, norm_first=True)
                                    for _ in range(num_layers))
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, idx):
        T = idx.shape[1]
        x = self.tok_emb(idx) + self.pos_emb(torch.arange(T, device=idx.device))
        mask = torch.triu(torch.ones(T, T, dtype=torch.bool, device=idx.device), diagonal=1)  # True: may NOT attend
        for block in self.blocks:
            x = block(x, src_mask=mask, is_causal=True)
        return self.head(self.ln_f(x))


def twin_of(params):
    """A float64 TorchGPT on backend.device() holding the NumPy parameters."""
    twin = TorchGPT(V, BLOCK, E, LAYERS, HEADS, FF).to(device=backend.device(), dtype=torch.float64)
    assert list(twin.state_dict()) == gpt.param_names(LAYERS) == list(params)  # one name, one tensor
    twin.load_state_dict({k: backend.to_torch(v) for k, v in params.items()})
    return twin


def random_params(seed=0, scale=0.4):
    """init_gpt's shapes with every entry random (layer norms too), so that every path matters."""
    rng = np.random.default_rng(seed)
    return {k: scale * rng.standard_normal(p.shape) + (1.0 if "norm" in k and k.endswith("weight") else 0.0)
            for k, p in gpt.init_gpt(V, BLOCK, E, LAYERS, FF, rng=seed).items()}


@pytest.fixture(scope="module")
def corpus():
    text = data.stdlib_text(60_000)
    vocab = data.char_vocab(text)
    return data.encode(text, vocab), vocab


def test_forward_and_gradients_equal_the_pytorch_twin():
    params = random_params()
    before = {k: v.copy() for k, v in params.items()}
    rng = np.random.default_rng(1)
    idx, target = rng.integers(0, V, (3, BLOCK)), rng.integers(0, V, (3, BLOCK))
    logits, _ = gpt.gpt_forward(params, idx, HEADS)
    loss, grads = gpt.gpt_loss(params, idx, target, HEADS)
    twin = twin_of(params)
    t_logits = twin(backend.to_torch(idx))
    t_loss = F.cross_entropy(t_logits.reshape(-1, V), backend.to_torch(target).reshape(-1))
    t_loss.backward()
    np.testing.assert_allclose(logits, backend.to_numpy(t_logits), rtol=1e-11, atol=1e-12)
    assert loss == pytest.approx(t_loss.item(), rel=1e-12)
    assert list(grads) == list(params)
    for name, p in twin.named_parameters():
        np.testing.assert_allclose(grads[name], backend.to_numpy(p.grad), rtol=1e-9, atol=1e-12, err_msg=name)
    assert all(np.array_equal(params[k], before[k]) for k in params)  # nothing modified in place
    short, _ = gpt.gpt_forward(params, idx[:, :4], HEADS)  # fewer positions than block_size
    np.testing.assert_allclose(short, backend.to_numpy(twin(backend.to_torch(idx[:, :4]))), rtol=1e-11, atol=1e-12)


def test_backward_matches_numerical_gradients():
    params = random_params(seed=2)
    rng = np.random.default_rng(3)
    idx = rng.integers(0, V, (2, 5))
    logits, cache = gpt.gpt_forward(params, idx, HEADS)
    dlogits = rng.standard_normal(logits.shape)
    grads = gpt.gpt_backward(dlogits, cache)
    names = list(params)

    def forward(*arrays):
        return gpt.gpt_forward(dict(zip(names, arrays)), idx, HEADS)

    reports = gradcheck(forward, params, grads, dlogits, max_coords=12, atol=1e-6, rtol=1e-5)
    assert set(reports) == set(names)
    assert all(reports.values()), [str(r) for r in reports.values() if not r]
    assert not grads["pos_emb.weight"][5].any()  # position 5 was never used: no gradient


def test_position_t_does_not_depend_on_later_characters():
    params = random_params(seed=4)
    rng = np.random.default_rng(5)
    idx = rng.integers(0, V, (2, BLOCK))
    logits, _ = gpt.gpt_forward(params, idx, HEADS)
    for t in range(BLOCK - 1):
        changed = idx.copy()
        changed[:, t + 1:] = (changed[:, t + 1:] + 1 + rng.integers(0, V - 1, changed[:, t + 1:].shape)) % V
        other, _ = gpt.gpt_forward(params, changed, HEADS)
        np.testing.assert_allclose(other[:, :t + 1], logits[:, :t + 1], rtol=0, atol=1e-13)
        assert not np.allclose(other[:, t + 1:], logits[:, t + 1:])  # the later positions do see them
    # and no gradient flows from position t's loss to the embeddings of later characters
    dlogits = np.zeros_like(logits)
    dlogits[:, 2] = rng.standard_normal((2, V))
    _, cache = gpt.gpt_forward(params, idx, HEADS)
    assert not gpt.gpt_backward(dlogits, cache)["pos_emb.weight"][3:].any()


def test_init_counts_and_errors():
    params = gpt.init_gpt(V, BLOCK, E, LAYERS, FF, rng=0)
    per_block = 3 * E * E + 3 * E + E * E + E + 2 * E * FF + FF + E + 4 * E
    assert sum(p.size for p in params.values()) == V * E + BLOCK * E + LAYERS * per_block + 2 * E + V * E + V
    assert np.std(params["tok_emb.weight"]) == pytest.approx(0.02, rel=0.3)
    assert (params["blocks.0.norm1.weight"] == 1).all() and not params["head.bias"].any()
    logits, _ = gpt.gpt_forward(params, np.zeros((1, 3), dtype=np.int64), HEADS)
    assert np.abs(logits).max() < 0.5  # a fresh model guesses about uniformly
    with pytest.raises(ValueError, match=r"idx has 7 positions; pos_emb.weight \(6, 8\) holds 1 to 6"):
        gpt.gpt_forward(params, np.zeros((1, 7), dtype=np.int64), HEADS)
    with pytest.raises(ValueError, match="params lacks head.weight"):
        gpt.gpt_forward({k: v for k, v in params.items() if k != "head.weight"}, np.zeros((1, 2), dtype=np.int64))
    with pytest.raises(ValueError, match="embed_dim 8 .* must be divisible by num_heads 3"):
        gpt.gpt_forward(params, np.zeros((1, 2), dtype=np.int64), 3)
    with pytest.raises(ValueError, match=r"target must have idx's shape \(1, 2\)"):
        gpt.gpt_loss(params, np.zeros((1, 2), dtype=np.int64), np.zeros((2, 1), dtype=np.int64))


def test_sampling_is_seeded_and_top_k_1_is_greedy():
    params = random_params(seed=6, scale=0.8)
    prompt = [1, 2, 3, 4, 5, 6, 7, 8]  # longer than block_size: the last 6 are the context
    a = gpt.sample(params, prompt, 15, temperature=0.9, top_k=4, rng=7, num_heads=HEADS)
    assert a == gpt.sample(params, np.array(prompt), 15, temperature=0.9, top_k=4, rng=np.random.default_rng(7),
                           num_heads=HEADS)
    assert len(a) == 15 and all(0 <= i < V for i in a)
    assert a != gpt.sample(params, prompt, 15, temperature=0.9, top_k=4, rng=8, num_heads=HEADS)
    ids, greedy = list(prompt), []
    for _ in range(12):
        logits, _ = gpt.gpt_forward(params, np.array([ids[-BLOCK:]]), HEADS)
        greedy.append(int(logits[0, -1].argmax()))
        ids.append(greedy[-1])
    for temperature, seed in ((1.0, 0), (0.3, 1), (5.0, 2)):
        assert gpt.sample(params, prompt, 12, temperature, top_k=1, rng=seed, num_heads=HEADS) == greedy
    with_all = gpt.sample(params, prompt, 200, 1.0, top_k=V, rng=3, num_heads=HEADS)
    assert with_all == gpt.sample(params, prompt, 200, 1.0, rng=3, num_heads=HEADS)  # top_k = V: no restriction
    assert len(set(gpt.sample(params, prompt, 200, 1.0, top_k=2, rng=3, num_heads=HEADS))) < len(set(with_all))


@pytest.mark.parametrize("kwargs, match", [
    ({"temperature": 0.0}, "temperature must be a finite number > 0, got 0.0"),
    ({"temperature": -1.0}, "temperature must be a finite number > 0"),
    ({"temperature": float("nan")}, "temperature must be a finite number > 0"),
    ({"temperature": True}, "temperature must be a finite number > 0"),
    ({"top_k": 0}, r"top_k must be None or an int from 1 to the vocabulary size 11, got 0"),
    ({"top_k": V + 1}, "top_k must be None or an int from 1 to the vocabulary size 11, got 12"),
    ({"top_k": 2.5}, "top_k must be None or an int"),
    ({"prompt_ids": []}, "prompt_ids must be a non-empty sequence"),
    ({"prompt_ids": [0, V]}, r"prompt_ids must lie in 0..10"),
    ({"n": -1}, "n must be >= 0"),
])
def test_sampling_errors_name_the_argument(kwargs, match):
    args = {"prompt_ids": [1], "n": 3, **kwargs}
    with pytest.raises(ValueError, match=match):
        gpt.sample(gpt.init_gpt(V, BLOCK, E, 1, rng=0), **args)


def test_training_on_the_docstrings_lowers_the_loss(corpus):
    """60 Adam steps, batch 16 x 32 characters, E = 32, 2 layers: more than 1 nat per character lower."""
    ids, vocab = corpus
    params = gpt.init_gpt(len(vocab), block_size=32, d_model=32, num_layers=2, rng=0)
    recipe = gpt.CharRecipe(steps=60, batch_size=16, seq_len=32, lr=1e-2)
    trained, hist = gpt.train_chars(lambda p, x, y: gpt.gpt_loss(p, x, y, 2), params, ids, recipe)
    losses = hist["loss"]
    assert losses[0] == pytest.approx(np.log(len(vocab)), abs=0.1)  # a fresh model guesses uniformly
    assert np.mean(losses[-10:]) < losses[0] - 1.0, (losses[0], np.mean(losses[-10:]))
    assert list(trained) == list(params) and not np.array_equal(trained["head.weight"], params["head.weight"])
    sample = gpt.sample(trained, data.encode("The ", vocab), 60, temperature=0.5, rng=0, num_heads=2)
    assert " " in data.decode(sample, vocab)  # words are separated by spaces


def test_evaluation_of_a_uniform_model_is_ln_v():
    ids = np.arange(100) % 7
    out = gpt.evaluate_chars(lambda p, x: np.zeros(x.shape + (7,)), None, ids, seq_len=8, chunk=3)
    assert out["nats"] == pytest.approx(math.log(7)) and out["bits"] == pytest.approx(math.log2(7))
    assert out["perplexity"] == pytest.approx(7.0) and out["chars"] == 12 * 8


def test_gpt_and_lstm_are_compared_on_the_same_budget(corpus):
    ids, vocab = corpus
    recipe = gpt.CharRecipe(steps=20, batch_size=8, seq_len=16, lr=1e-2)
    out = gpt.compare_with_lstm(ids, len(vocab), recipe, gpt={"d_model": 16}, lstm={"hidden_size": 32})
    assert out["chars_seen"] == 20 * 8 * 16 and out["held_out_chars"] == len(ids) - int(0.9 * len(ids))
    for name in ("gpt", "lstm"):
        row = out[name]
        assert len(row["history"]["loss"]) == 20 and row["nats"] < np.log(len(vocab))
        assert row["bits"] == pytest.approx(row["nats"] / math.log(2)) and row["perplexity"] == pytest.approx(
            math.exp(row["nats"]))
    assert out["gpt"]["history"]["loss"][0] == pytest.approx(out["lstm"]["history"]["loss"][0], abs=0.2)
    # the default sizes: the same number of parameters within 1 %
    n_gpt = sum(p.size for p in gpt.init_gpt(len(vocab), 32, 32, 2, rng=0).values())
    n_lstm = sum(p.size for p in rnn.init_char_lstm(len(vocab), 70, 16, rng=0))
    assert abs(n_gpt - n_lstm) < 0.01 * n_lstm, (n_gpt, n_lstm)
    with pytest.raises(ValueError, match="steps must be an int >= 1"):
        gpt.CharRecipe(steps=0)
    with pytest.raises(ValueError, match="lr must be a number > 0"):
        gpt.CharRecipe(lr=-1.0)
    with pytest.raises(ValueError, match="held_out must be a fraction"):
        gpt.compare_with_lstm(ids, len(vocab), recipe, held_out=1.5)
