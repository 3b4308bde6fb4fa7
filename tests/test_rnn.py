"""Chapter 07 beyond the registry: clipping against torch, the character LSTM against a PyTorch twin,
its training run on the standard library's docstrings, and sampling."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit import data
from coursekit.reference import optim, rnn

F64 = torch.float64


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((3, 4)), None, rng.standard_normal(5)]
    before = [None if g is None else g.copy() for g in grads]
    clipped, total = rnn.clip_grad_norm(grads, max_norm, norm_type)
    params = [torch.zeros(g.shape, dtype=F64, requires_grad=True) for g in grads if g is not None]
    for p, g in zip(params, [g for g in grads if g is not None]):
        p.grad = torch.tensor(g)
    t_total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type)
    assert total == pytest.approx(t_total.item(), rel=1e-12)
    np.testing.assert_allclose(clipped[0], params[0].grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(clipped[2], params[1].grad.numpy(), rtol=1e-12)
    assert clipped[1] is None
    for g, b in zip(grads, before):  # nothing modified in place
        assert (g is None and b is None) or np.array_equal(g, b)


def torch_char_lstm(params):
    emb, w_ih, w_hh, b_ih, b_hh, w_out, b_out = (torch.tensor(p, requires_grad=True) for p in params)
    return [emb, w_ih, w_hh, b_ih, b_hh, w_out, b_out]


def test_char_lstm_loss_and_gradients_match_pytorch():
    rng = np.random.default_rng(0)
    params = rnn.init_char_lstm(12, hidden_size=7, embed_size=5, rng=rng)
    idx, target = rng.integers(0, 12, (3, 6)), rng.integers(0, 12, (3, 6))
    loss, grads, (h, c) = rnn.CharLSTM.loss(params, idx, target)
    t = torch_char_lstm(params)
    lstm = torch.nn.LSTM(5, 7, batch_first=True, dtype=F64, device="meta")
    out, (th, tc) = torch.func.functional_call(lstm, dict(zip(
        ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"], t[1:5])), (F.embedding(torch.tensor(idx), t[0]),))
    logits = F.linear(out, t[5], t[6])
    tloss = F.cross_entropy(logits.reshape(-1, 12), torch.tensor(target).reshape(-1))
    tloss.backward()
    assert loss == pytest.approx(tloss.item(), rel=1e-12)
    np.testing.assert_allclose(h, th[0].detach().numpy(), atol=1e-13)
    np.testing.assert_allclose(c, tc[0].detach().numpy(), atol=1e-13)
    for g, p in zip(grads, t):
        np.testing.assert_allclose(g, p.grad.numpy(), rtol=1e-9, atol=1e-12)
    # a state passed on (truncated backprop through time) is used as the initial state
    loss2, _, _ = rnn.CharLSTM.loss(params, idx, target, state=(h, c))
    assert loss2 != loss


def test_char_lstm_learns_the_standard_library_docstrings():
    """80 Adam steps, batch 16 x 32 characters, hidden 64: the loss falls by more than 1 nat per character."""
    text = data.stdlib_text(60_000)
    vocab = data.char_vocab(text)
    idx = data.encode(text, vocab)
    params = rnn.init_char_lstm(len(vocab), hidden_size=64, embed_size=16, rng=0)
    opt = optim.Optimizer("adam", lr=1e-2)
    rng = np.random.default_rng(0)
    losses = []
    for _ in range(80):
        starts = rng.integers(0, len(idx) - 33, 16)
        xb = np.stack([idx[s:s + 32] for s in starts])
        yb = np.stack([idx[s + 1:s + 33] for s in starts])
        loss, grads, _ = rnn.CharLSTM.loss(params, xb, yb, clip=5.0)
        params = opt.step(params, grads)
        losses.append(loss)
    assert losses[0] == pytest.approx(np.log(len(vocab)), abs=0.3)  # a fresh model guesses uniformly
    assert np.mean(losses[-10:]) < losses[0] - 1.0, (losses[0], np.mean(losses[-10:]))
    sample = rnn.sample_chars(params, list(data.encode("The ", vocab)), 40, temperature=0.5, rng=1)
    assert len(sample) == 40 and all(0 <= i < len(vocab) for i in sample)
    assert sample == rnn.sample_chars(params, list(data.encode("The ", vocab)), 40, temperature=0.5, rng=1)
    assert " " in data.decode(sample, vocab)  # it has learned that words are separated by spaces


def test_sampling_temperature_and_errors():
    params = rnn.init_char_lstm(5, hidden_size=4, embed_size=3, rng=0)
    cold = rnn.sample_chars(params, [1, 2], 200, temperature=0.05, rng=0)
    hot = rnn.sample_chars(params, [1, 2], 200, temperature=5.0, rng=0)
    assert len(set(cold)) < len(set(hot))  # low temperature: the most likely characters only
    with pytest.raises(ValueError, match="temperature must be > 0"):
        rnn.sample_chars(params, [1], 3, temperature=0.0)
    with pytest.raises(IndexError, match="input holds indices from"):
        rnn.sample_chars(params, [7], 3)


def test_recurrent_errors_name_the_argument_and_shapes():
    w = rnn.init_recurrent("lstm", 3, 4, rng=0)
    x, h = np.zeros((2, 3)), np.zeros((2, 4))
    with pytest.raises(ValueError, match=r"weight_hh must be \(4\*H, H\) for a LSTM"):
        rnn.lstm_cell_forward(x, h, h, w[0], np.zeros((16, 3)), w[2], w[3])
    with pytest.raises(ValueError, match=r"x has 5 features but weight_ih expects 3"):
        rnn.lstm_cell_forward(np.zeros((2, 5)), h, h, *w)
    with pytest.raises(ValueError, match=r"c must have shape \(2, 4\) \(batch, hidden\), got \(2, 3\)"):
        rnn.lstm_cell_forward(x, h, np.zeros((2, 3)), *w)
    with pytest.raises(ValueError, match=r"x must be 3-D, got shape \(2, 3\)"):
        rnn.lstm_forward(x, None, None, *w)
    with pytest.raises(ValueError, match=r"bias_ih must have shape \(16,\)"):
        rnn.lstm_cell_forward(x, h, h, w[0], w[1], np.zeros(4), w[3])
    with pytest.raises(ValueError, match=r"mask must have shape \(2, 3\)"):
        rnn.sequence_cross_entropy_forward(np.zeros((2, 3, 4)), np.zeros((2, 3), dtype=int), np.ones((3, 2)))
    with pytest.raises(IndexError, match=r"target holds classes up to 4, input has 4"):
        rnn.sequence_cross_entropy_forward(np.zeros((1, 1, 4)), np.array([[4]]), np.ones((1, 1)))
    with pytest.raises(ValueError, match=r"padding_idx=5 is out of range"):
        rnn.embedding_forward(np.array([0]), np.zeros((3, 2)), padding_idx=5)
