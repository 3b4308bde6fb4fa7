"""Chapter 07 widgets driven headless: the unrolled RNN, the gradient flow back through time, the LSTM gates."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

from coursekit.reference import rnn
from coursekit.widgets import GradientFlow, LSTMGates, UnrolledRNN
from coursekit.widgets import rnn as wr


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def torch_rnn_out(indices, params):
    """nn.RNN (tanh, batch_first, float64) with `params` copied in, run on the one-hot characters: (T, H)."""
    w_ih, w_hh, b_ih, b_hh = params
    net = torch.nn.RNN(w_ih.shape[1], w_hh.shape[0], batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        for p_t, p in zip(net.parameters(), params):
            p_t.copy_(torch.from_numpy(p))
        out, _ = net(torch.from_numpy(wr.one_hot(indices, w_ih.shape[1]))[None])
    return out[0].numpy()


@pytest.fixture
def unrolled():
    w = UnrolledRNN(text="hello world", step=4)
    yield w
    w.close()


def assert_unrolled_consistent(w):
    """State = `rnn_forward` = nn.RNN, and the heat map, the bars and the status show it."""
    assert w.error is None
    np.testing.assert_array_equal(w.indices, [wr.VOCAB.index(c) for c in w.text])
    (out, h_n), _ = rnn.rnn_forward(wr.one_hot(w.indices, len(wr.VOCAB))[None], None, *w.params)
    np.testing.assert_array_equal(w.states, out[0])
    np.testing.assert_allclose(w.states, torch_rnn_out(w.indices, w.params), rtol=1e-12, atol=1e-12)
    t, n_steps = w.step, len(w.text)
    assert w.states.shape == (n_steps, w.hidden_size) and t == w.value("step")
    np.testing.assert_array_equal(w.h, out[0, t])
    np.testing.assert_array_equal(w.shown[:, :t + 1], out[0, :t + 1].T)
    assert np.isnan(w.shown[:, t + 1:]).all()
    drawn = w.im.get_array()
    np.testing.assert_array_equal(drawn.filled(np.nan) if np.ma.isMaskedArray(drawn) else drawn, w.shown)
    assert w.im.get_extent() == [-0.5, n_steps - 0.5, -0.5, w.hidden_size - 0.5]
    assert w.highlight.get_x() == t - 0.5
    np.testing.assert_allclose([b.get_width() for b in w.bars], w.h, rtol=0, atol=0)
    assert [x.get_text() for x in w.value_texts] == [f"{v:+.2f}" for v in w.h]
    assert ", ".join(f"{v:+.2f}" for v in w.h) in w.status.value
    assert w.controls["step"].max == n_steps - 1 == w.play.max
    if t == n_steps - 1:
        np.testing.assert_array_equal(w.h, h_n[0])


# ------------------------------------------------------------------ UnrolledRNN

def test_unrolled_starts_consistent(unrolled):
    assert unrolled.n_renders == 1 and unrolled.png.startswith(b"\x89PNG")
    assert unrolled.value("preset") == "hello world" and unrolled.states.shape == (11, 8)
    assert "one-hot('o')" in unrolled.status.value and "W_hh h_3" in unrolled.status.value
    assert_unrolled_consistent(unrolled)


@pytest.mark.parametrize("control, value", [("step", 0), ("step", 10), ("scale", 0.0), ("scale", 1.7), ("seed", 5),
                                            ("text", "the cat"), ("preset", "banana")])
def test_every_control_changes_the_display(unrolled, control, value):
    png0, status0, n0 = unrolled.png, unrolled.status.value, unrolled.n_renders
    states0, h0 = unrolled.states.copy(), unrolled.h.copy()
    unrolled.controls[control].value = value
    assert unrolled.n_renders == n0 + 1, "exactly one re-render per control change"
    assert unrolled.png != png0 and unrolled.status.value != status0
    assert not np.array_equal(unrolled.h, h0)
    if control == "step":  # the same states, another one of them
        np.testing.assert_array_equal(unrolled.states, states0)
    elif control in ("scale", "seed"):  # other weights: the same string, other states
        assert unrolled.states.shape == states0.shape and not np.allclose(unrolled.states, states0)
    else:  # another string: the whole of it is shown
        assert unrolled.text == value and unrolled.step == len(value) - 1
    assert_unrolled_consistent(unrolled)


def test_hidden_states_equal_torch_rnn_step_by_step(unrolled):
    unrolled.controls["text"].value = "abc, cba!"
    params = unrolled.params
    cell = torch.nn.RNNCell(len(wr.VOCAB), unrolled.hidden_size, dtype=torch.float64)
    with torch.no_grad():
        for p_t, p in zip(cell.parameters(), params):
            p_t.copy_(torch.from_numpy(p))
        h = torch.zeros(1, unrolled.hidden_size, dtype=torch.float64)
        x = torch.from_numpy(wr.one_hot(unrolled.indices, len(wr.VOCAB)))
        for t in range(len(unrolled.text)):
            h = cell(x[t:t + 1], h)
            np.testing.assert_allclose(unrolled.states[t], h[0].numpy(), rtol=1e-12, atol=1e-12)
            if t in (0, 5):  # the slider shows that state
                unrolled.controls["step"].value = t
                np.testing.assert_allclose(unrolled.h, h[0].numpy(), rtol=1e-12, atol=1e-12)
                assert_unrolled_consistent(unrolled)
    # the recurrence written with one concatenated weight: h_t = tanh(W [h_{t-1}, x_t] + b)
    w_ih, w_hh, b_ih, b_hh = params
    big_w, h_prev = np.hstack([w_hh, w_ih]), np.zeros(unrolled.hidden_size)
    for t, x_t in enumerate(wr.one_hot(unrolled.indices, len(wr.VOCAB))):
        h_prev = np.tanh(big_w @ np.concatenate([h_prev, x_t]) + b_ih + b_hh)
        np.testing.assert_allclose(unrolled.states[t], h_prev, rtol=1e-12, atol=1e-12)


def test_memory_scale_zero_makes_each_state_a_function_of_its_character(unrolled):
    unrolled.controls["scale"].value = 0.0  # "hello world": l at 2, 3, 9; o at 4, 7
    s = unrolled.states
    np.testing.assert_array_equal(s[2], s[3])
    np.testing.assert_array_equal(s[2], s[9])
    np.testing.assert_array_equal(s[4], s[7])
    np.testing.assert_allclose(s[2], np.tanh(unrolled.params[0][:, wr.VOCAB.index("l")] + unrolled.params[2]
                                             + unrolled.params[3]), rtol=1e-12)
    unrolled.controls["scale"].value = 1.0  # with memory, the same character in another context differs
    assert np.abs(unrolled.states[2] - unrolled.states[3]).max() > 0.05
    assert np.abs(unrolled.states[4] - unrolled.states[7]).max() > 0.05


def test_text_and_preset_follow_each_other_and_play_steps():
    w = UnrolledRNN(text="banana", scale=0.5)
    assert w.value("preset") == "banana" and w.step == 5
    n = w.n_renders
    w.controls["text"].value = "ab"  # shorter than the slider's value: clamped, one render
    assert w.n_renders == n + 1 and w.value("preset") == wr.CUSTOM and w.step == 1
    assert w.controls["step"].max == 1 and w.play.max == 1
    assert_unrolled_consistent(w)
    w.controls["text"].value = "aaaaaaaaaaaa"  # typing a preset's string selects it
    assert w.value("preset") == "aaaaaaaaaaaa" and w.step == 11
    # a constant input drives the state to a fixed point (the map h -> tanh(W_hh h + b') contracts at scale 0.5)
    steps = np.abs(np.diff(w.states, axis=0)).max(axis=1)
    assert steps[-1] < 1e-3 * steps[0]
    w.play.value = 3
    assert w.value("step") == 3 and w.step == 3
    w.controls["preset"].value = wr.CUSTOM  # choosing "custom" keeps the string
    assert w.text == "aaaaaaaaaaaa"
    assert_unrolled_consistent(w)
    box = w.widget
    assert w.play in box.children[2].children and w.image in box.children
    w.close()
    assert w.play.comm is None and box.comm is None and w.controls["text"].comm is None


def test_bad_text_in_the_box_is_reported_and_not_applied(unrolled):
    states, n = unrolled.states.copy(), unrolled.n_renders
    for bad, why in [("", "text must be a non-empty string"), ("héllo", "text has the character 'é' at position 1"),
                     ("Hello", "text has the character 'H' at position 0"), ("x" * 25, "at most 24 characters")]:
        unrolled.controls["text"].value = bad
        assert unrolled.n_renders == n and why in unrolled.error
        assert "color:#c00" in unrolled.status.value and why in unrolled.status.value
        np.testing.assert_array_equal(unrolled.states, states)
    unrolled.controls["step"].value = 2  # other controls still work, on the last good string
    assert unrolled.text == "hello world" and unrolled.error is None and unrolled.n_renders == n + 1
    assert_unrolled_consistent(unrolled)


def test_unrolled_bad_arguments_raise_value_error_naming_them():
    with pytest.raises(ValueError, match="text must be a non-empty string"):
        UnrolledRNN(text="")
    with pytest.raises(ValueError, match=r"text has the character 'é' at position 1, which is not in the vocabulary"):
        UnrolledRNN(text="héllo")
    with pytest.raises(ValueError, match="text must have at most 24 characters"):
        UnrolledRNN(text="a" * 25)
    with pytest.raises(TypeError, match="text must be a string"):
        UnrolledRNN(text=list("abc"))
    with pytest.raises(ValueError, match=r"step must be an int in \[0, 4\]"):
        UnrolledRNN(text="hello", step=5)
    with pytest.raises(ValueError, match="scale"):
        UnrolledRNN(scale=-1.0)
    with pytest.raises(ValueError, match="hidden_size"):
        UnrolledRNN(hidden_size=0)


# ------------------------------------------------------------------ GradientFlow

def torch_state_grads(kind, scale, length, forget_bias=1.0, seed=0, hidden_size=32, input_size=8, batch=16):
    """The same experiment as `gradient_norms` with nn.RNNCell / nn.LSTMCell and autograd (retain_grad)."""
    rng = np.random.default_rng(seed)
    weights = wr.gradient_flow_weights(kind, input_size, hidden_size, scale, forget_bias, rng)
    x = torch.from_numpy(rng.standard_normal((batch, length, input_size)))
    v = rng.standard_normal((batch, hidden_size))
    v = torch.from_numpy(v / np.linalg.norm(v, axis=1, keepdims=True))
    cell = (torch.nn.RNNCell if kind == "rnn" else torch.nn.LSTMCell)(input_size, hidden_size, dtype=torch.float64)
    with torch.no_grad():
        for p_t, p in zip(cell.parameters(), weights):
            p_t.copy_(torch.from_numpy(p))
    h = c = torch.zeros(batch, hidden_size, dtype=torch.float64)
    hs, cs = [], []
    for t in range(length):
        if kind == "rnn":
            h = cell(x[:, t], h)
        else:
            h, c = cell(x[:, t], (h, c))
            c.retain_grad()
            cs.append(c)
        h.retain_grad()
        hs.append(h)
    (h * v).sum().backward()
    norms = {"h": np.array([hs[t].grad.norm(dim=1).mean().item() for t in reversed(range(length))])}
    if kind == "lstm":
        norms["c"] = np.array([cs[t].grad.norm(dim=1).mean().item() for t in reversed(range(length))])
    return norms


@pytest.mark.parametrize("kind, scale", [("rnn", 0.5), ("rnn", 3.0), ("lstm", 1.0), ("lstm", 3.0)])
def test_gradient_norms_equal_autograd_through_torch_cells(kind, scale):
    ours = wr.gradient_norms(kind, scale, 12, forget_bias=0.5, seed=3)
    theirs = torch_state_grads(kind, scale, 12, forget_bias=0.5, seed=3)
    assert set(ours) == set(theirs) == ({"h"} if kind == "rnn" else {"h", "c"})
    for k in ours:
        assert ours[k].shape == (12,)
        np.testing.assert_allclose(ours[k], theirs[k], rtol=1e-9, atol=1e-300)
    assert ours["h"][0] == pytest.approx(1.0)  # dL/dh_{T-1} = v, a unit vector


def test_rnn_gradient_vanishes_at_small_scale_and_explodes_at_large_scale():
    small, large = wr.gradient_norms("rnn", 0.5, 40)["h"], wr.gradient_norms("rnn", 3.0, 40)["h"]
    assert np.all(np.diff(small) < 0) and small[-1] < 1e-12, "scale 0.5: every step back shrinks the gradient"
    assert small[-1] <= 0.5 ** 39
    assert large[-1] > 1e2 and large[-1] > 10 * large[5], "scale 3.0: the gradient grows going back"
    for scale in (0.5, 1.0, 2.0):  # |tanh'| <= 1 and ||W_hh|| = scale: the norm is at most scale^k
        n = wr.gradient_norms("rnn", scale, 30)["h"]
        assert np.all(n <= scale ** np.arange(30.0) * (1 + 1e-9))
    assert wr.per_step_factor(small) < 0.5 < 1.0 < wr.per_step_factor(large)


@pytest.mark.parametrize("scale", [0.5, 1.0])
def test_lstm_gradient_decays_slower_than_the_rnn_one(scale):
    rnn_n, lstm_n = wr.gradient_norms("rnn", scale, 40)["h"], wr.gradient_norms("lstm", scale, 40)
    assert wr.per_step_factor(lstm_n["h"]) > wr.per_step_factor(rnn_n) + 0.1
    assert lstm_n["h"][-1] > 100 * rnn_n[-1]
    assert lstm_n["c"][-1] > 100 * rnn_n[-1]
    # a larger forget bias keeps more of the cell: slower decay still
    more = wr.gradient_norms("lstm", scale, 40, forget_bias=3.0)["c"]
    assert more[-1] > 10 * lstm_n["c"][-1]


@pytest.fixture
def flow():
    w = GradientFlow(scale=1.0, length=30)
    yield w
    w.close()


def assert_flow_consistent(w):
    kw = {"forget_bias": w.forget_bias, "hidden_size": w.hidden_size, "seed": w.seed}
    expected_rnn = wr.gradient_norms("rnn", w.scale, w.length, **kw)
    expected_lstm = wr.gradient_norms("lstm", w.scale, w.length, **kw)
    np.testing.assert_array_equal(w.rnn["h"], expected_rnn["h"])
    np.testing.assert_array_equal(w.lstm["h"], expected_lstm["h"])
    np.testing.assert_array_equal(w.lstm["c"], expected_lstm["c"])
    np.testing.assert_array_equal(w.distance, np.arange(w.length))
    for line, y in [(w.line_rnn, w.rnn["h"]), (w.line_lstm, w.lstm["h"]), (w.line_cell, w.lstm["c"]),
                    (w.line_bound, w.scale ** np.arange(w.length))]:
        np.testing.assert_array_equal(line.get_xdata(), w.distance)
        np.testing.assert_allclose(line.get_ydata(), np.maximum(y, 1e-300), rtol=1e-12)
    assert w.ax.get_yscale() == "log"
    assert f"RNN <b>{w.rnn['h'][-1]:.3g}</b>" in w.status.value
    assert f"LSTM <b>{w.lstm['h'][-1]:.3g}</b>" in w.status.value


def test_flow_starts_consistent(flow):
    assert flow.n_renders == 1 and flow.png.startswith(b"\x89PNG")
    assert_flow_consistent(flow)
    assert "RNN" in flow.status.value and "vanishes" in flow.status.value  # scale 1: tanh' < 1 shrinks it


@pytest.mark.parametrize("control, value", [("scale", 0.5), ("scale", 3.0), ("length", 60), ("forget_bias", 3.0)])
def test_flow_controls_change_the_curves(flow, control, value):
    png0, n0 = flow.png, flow.n_renders
    rnn0, lstm0 = flow.rnn["h"].copy(), flow.lstm["h"].copy()
    flow.controls[control].value = value
    assert flow.n_renders == n0 + 1 and flow.png != png0
    if control == "forget_bias":  # the RNN has no forget gate
        np.testing.assert_array_equal(flow.rnn["h"], rnn0)
        assert flow.lstm["h"][-1] > lstm0[-1]
    elif control == "length":
        assert len(flow.line_rnn.get_xdata()) == 60
    else:
        assert not np.array_equal(flow.rnn["h"], rnn0) and not np.array_equal(flow.lstm["h"], lstm0)
    if (control, value) == ("scale", 0.5):
        assert flow.factor_rnn < 0.5 and flow.rnn["h"][-1] < 1e-9 and "RNN <b>" in flow.status.value
        assert flow.factor_lstm > flow.factor_rnn
    if (control, value) == ("scale", 3.0):
        assert flow.factor_rnn > 1.1 and flow.rnn["h"][-1] > 10 and "explodes" in flow.status.value
    assert_flow_consistent(flow)


def test_flow_bad_arguments_raise_value_error_naming_them():
    with pytest.raises(ValueError, match="kind must be 'rnn' or 'lstm'"):
        wr.gradient_norms("gru", 1.0)
    with pytest.raises(ValueError, match="length"):
        wr.gradient_norms("rnn", 1.0, 0)
    with pytest.raises(ValueError, match="scale"):
        GradientFlow(scale=10.0)
    with pytest.raises(ValueError, match="length"):
        GradientFlow(length=1)
    with pytest.raises(ValueError, match="forget_bias"):
        GradientFlow(forget_bias="big")


# ------------------------------------------------------------------ LSTMGates

@pytest.fixture(scope="module")
def model():
    vocab = tuple("abcdefgh .,")
    return rnn.init_char_lstm(len(vocab), hidden_size=12, embed_size=5, rng=1), vocab


@pytest.fixture
def gates(model):
    w = LSTMGates(*model, text="a bad cafe, a bag.", units=(2, 9))
    yield w
    w.close()


def direct_gates(params, indices):
    """The LSTM of a char model, written out: pre-activations from the reference's h_{t-1}, then σ / tanh."""
    emb, w_ih, w_hh, b_ih, b_hh, _, _ = params
    x = emb[indices]
    (out, h_n, c_n), _ = rnn.lstm_forward(x[None], None, None, w_ih, w_hh, b_ih, b_hh)
    h = out[0]
    h_prev = np.vstack([np.zeros((1, h.shape[1])), h[:-1]])
    a = x @ w_ih.T + b_ih + h_prev @ w_hh.T + b_hh
    i, f, g, o = np.split(a, 4, axis=1)
    return {"i": _sigmoid(i), "f": _sigmoid(f), "g": np.tanh(g), "o": _sigmoid(o), "h": h, "c_n": c_n[0]}


def assert_gates_consistent(w):
    assert w.error is None
    lo, hi = w.units
    assert (lo, hi) == tuple(w.value("units"))
    expected = direct_gates(w.params, w.indices)
    for k in "ifgoh":
        np.testing.assert_allclose(w.gates[k], expected[k], rtol=1e-12, atol=1e-14)
    for k in "ifo":
        assert (w.gates[k] >= 0).all() and (w.gates[k] <= 1).all()
    assert (np.abs(w.gates["g"]) <= 1).all() and (np.abs(w.gates["h"]) <= 1).all()
    c_prev = np.vstack([np.zeros((1, w.gates["c"].shape[1])), w.gates["c"][:-1]])
    np.testing.assert_allclose(w.gates["c"], w.gates["f"] * c_prev + w.gates["i"] * w.gates["g"], rtol=1e-12)
    np.testing.assert_allclose(w.gates["h"], w.gates["o"] * np.tanh(w.gates["c"]), rtol=1e-12)
    np.testing.assert_allclose(w.gates["c"][-1], expected["c_n"], rtol=1e-12)
    logits, _, _ = rnn.CharLSTM.forward(w.params, w.indices[None])
    p = np.exp(logits[0, -1] - logits[0, -1].max())
    np.testing.assert_allclose(w.gates["probs"], p / p.sum(), rtol=1e-10)
    assert w.prediction[0] == w.vocab[int(np.argmax(p))]
    for k in wr.GATE_ROWS:
        assert w.shown[k].shape == (hi - lo + 1, len(w.text))
        np.testing.assert_array_equal(w.shown[k], w.gates[k][:, lo:hi + 1].T)
        np.testing.assert_array_equal(w.ims[k].get_array(), w.shown[k])
    labels = [t.get_text() for t in w.axes[-1].get_xticklabels()]
    assert labels == [wr.show_char(c) for c in w.text]
    assert f"forget gate f <b>{w.shown['f'].mean():.2f}</b>" in w.status.value


def test_gates_start_consistent_and_equal_torch_lstm(gates):
    assert gates.n_renders == 1 and gates.png.startswith(b"\x89PNG")
    assert_gates_consistent(gates)
    emb, w_ih, w_hh, b_ih, b_hh, _, _ = gates.params
    net = torch.nn.LSTM(emb.shape[1], w_hh.shape[1], batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        for p_t, p in zip(net.parameters(), (w_ih, w_hh, b_ih, b_hh)):
            p_t.copy_(torch.from_numpy(p))
        out, (h_n, c_n) = net(torch.from_numpy(emb[gates.indices])[None])
    np.testing.assert_allclose(gates.gates["h"], out[0].numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gates.gates["c"][-1], c_n[0, 0].numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("control, value", [("text", "head. fed a cab"), ("units", (0, 11)), ("units", (5, 5))])
def test_gates_controls_change_the_heat_maps(gates, control, value):
    png0, n0, shown0 = gates.png, gates.n_renders, {k: v.copy() for k, v in gates.shown.items()}
    gates.controls[control].value = value
    assert gates.n_renders == n0 + 1 and gates.png != png0
    assert all(gates.shown[k].shape != shown0[k].shape or not np.array_equal(gates.shown[k], shown0[k])
               for k in wr.GATE_ROWS)
    if control == "units":
        assert gates.shown["i"].shape[0] == value[1] - value[0] + 1
    else:
        assert gates.text == value and gates.shown["f"].shape[1] == len(value)
    assert_gates_consistent(gates)


def test_gates_bad_text_in_the_box_is_reported_and_not_applied(gates):
    n, text = gates.n_renders, gates.text
    for bad, why in [("", "text must be a non-empty string"), ("abz", "text has the character 'z' at position 2"),
                     ("a" * 61, "text must have at most 60 characters")]:
        gates.controls["text"].value = bad
        assert gates.n_renders == n and why in gates.error and "color:#c00" in gates.status.value
    gates.controls["units"].value = (0, 3)  # the other control still works, on the last good string
    assert gates.text == text and gates.n_renders == n + 1
    assert_gates_consistent(gates)


def test_gates_default_model_and_bad_arguments(model):
    w = LSTMGates(text="def f(x):\n    return x", units=(0, 7), hidden_size=16, embed_size=8, seed=2)
    assert w.vocab == wr.PRINTABLE and w.n_hidden == 16
    assert w.axes[-1].get_xticklabels()[9].get_text() == "↵"
    assert_gates_consistent(w)
    w.close()
    params, vocab = model
    with pytest.raises(ValueError, match="text must be a non-empty string"):
        LSTMGates(params, vocab, text="")
    with pytest.raises(ValueError, match=r"text has the character 'z' at position 2, which is not in the vocabulary"):
        LSTMGates(params, vocab, text="abz")
    with pytest.raises(ValueError, match="units"):
        LSTMGates(params, vocab, text="abc", units=(3, 12))
    with pytest.raises(ValueError, match="units"):
        LSTMGates(params, vocab, text="abc", units=(5, 2))
    with pytest.raises(ValueError, match="vocab has 10 characters but the embedding"):
        LSTMGates(params, vocab[:-1], text="abc")
    with pytest.raises(ValueError, match="vocab must be given with params"):
        LSTMGates(params, text="abc")
    with pytest.raises(ValueError, match="params must be the list"):
        LSTMGates(params[:5], vocab, text="abc")


def test_widgets_create_no_pyplot_figures(model):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    UnrolledRNN(text="ab").close()
    GradientFlow(length=5).close()
    LSTMGates(*model, text="ab").close()
    assert plt.get_fignums() == before
