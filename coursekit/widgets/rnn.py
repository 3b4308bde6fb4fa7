"""Chapter 07: a recurrent network unrolled over a string, gradients flowing back through time, and
the gates of an LSTM at work.

`UnrolledRNN` steps a small tanh RNN through a string, one character at a time, and shows every
hidden state h_t. `GradientFlow` shows how the gradient of a loss at the last step shrinks or grows
on its way back through time, for an RNN and an LSTM. `LSTMGates` shows the gate activations of an
LSTM (the chapter's trained character model, or a random one) over a string. The pure helpers
below compute everything that is drawn, with the reference ops of `coursekit.reference.rnn`.
"""
from __future__ import annotations

import numbers

import ipywidgets as W
import matplotlib
import numpy as np
from matplotlib.patches import FancyBboxPatch, Rectangle

from ..reference import rnn
from ..reference.activations import sigmoid_forward
from .base import PlotWidget, check_int, check_number

VOCAB = tuple(" abcdefghijklmnopqrstuvwxyz.,!?'")  # the characters of UnrolledRNN's toy RNN
PRINTABLE = ("\n", *map(chr, range(32, 127)))  # LSTMGates' default vocabulary: newline + printable ASCII
PRESETS = ("hello world", "banana", "aaaaaaaaaaaa", "abcabcabcabc", "the cat sat on the mat")
CUSTOM = "custom"
MAX_UNROLLED = 24  # characters UnrolledRNN draws
MAX_GATES = 60  # characters LSTMGates draws
GATE_ROWS = ("i", "f", "g", "o", "c", "h")
GATE_NAMES = {"i": "input gate i = σ(·)", "f": "forget gate f = σ(·)", "g": "candidate g = tanh(·)",
              "o": "output gate o = σ(·)", "c": "cell state c", "h": "hidden state h = o·tanh(c)"}


# ------------------------------------------------------------------ pure helpers

def show_char(c: str) -> str:
    """A character as drawn: space as ␣, newline as ↵, tab as ⇥."""
    return {" ": "␣", "\n": "↵", "\t": "⇥"}.get(c, c)


def as_indices(text, vocab, name="text", max_len=None) -> np.ndarray:
    """The indices (T,) int64 of the characters of `text` in `vocab`.

    ValueError naming `name` for an empty string, a string longer than `max_len`, or a character
    outside the vocabulary; TypeError for a non-string.
    """
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a string, got {type(text).__name__}")
    if not text:
        raise ValueError(f"{name} must be a non-empty string")
    if max_len is not None and len(text) > max_len:
        raise ValueError(f"{name} must have at most {max_len} characters, got {len(text)}")
    index = {c: i for i, c in enumerate(vocab)}
    for k, c in enumerate(text):
        if c not in index:
            shown = "".join(vocab) if len(vocab) <= 40 else f"{len(vocab)} characters"
            raise ValueError(f"{name} has the character {c!r} at position {k}, which is not in the vocabulary "
                             f"({shown!r})")
    return np.fromiter((index[c] for c in text), dtype=np.int64, count=len(text))


def one_hot(indices, size) -> np.ndarray:
    """(T,) indices -> (T, size) float64 rows with a single 1."""
    idx = np.asarray(indices, dtype=np.int64)
    out = np.zeros((len(idx), size))
    out[np.arange(len(idx)), idx] = 1.0
    return out


def orthogonal(n, rng) -> np.ndarray:
    """A random (n, n) orthogonal matrix (QR of a Gaussian one, signs fixed): every singular value is 1."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def toy_rnn(vocab_size, hidden_size=8, scale=1.0, seed=0):
    """[weight_ih (H, V), weight_hh (H, H), bias_ih (H,), bias_hh (H,)] of UnrolledRNN's RNN.

    Each character writes a random N(0, 1) vector into the cell (its column of weight_ih);
    weight_hh = scale * a random orthogonal matrix, so `scale` is its spectral norm (0: no memory);
    small N(0, 0.1^2) biases. The same seed gives the same weights at every scale.
    """
    rng = np.random.default_rng(seed)
    w_ih = rng.standard_normal((hidden_size, vocab_size))
    w_hh = scale * orthogonal(hidden_size, rng)
    b_ih, b_hh = 0.1 * rng.standard_normal(hidden_size), 0.1 * rng.standard_normal(hidden_size)
    return [w_ih, w_hh, b_ih, b_hh]


def unrolled_states(indices, params) -> np.ndarray:
    """Every hidden state of the RNN `params` run over one-hot `indices`: `rnn_forward`'s out[0], (T, H)."""
    x = one_hot(indices, params[0].shape[1])[None]
    (out, _), _ = rnn.rnn_forward(x, None, *params)
    return out[0]


def gradient_flow_weights(kind, input_size, hidden_size, scale, forget_bias=1.0, rng=None):
    """[weight_ih, weight_hh, bias_ih, bias_hh] for the gradient-flow experiment.

    Every gate's block of weight_hh is `scale` times a random orthogonal matrix (so its spectral
    norm is exactly `scale`); weight_ih is N(0, 1/input_size); the biases are 0 except the LSTM's
    forget gate, whose bias_ih block is `forget_bias` (sigmoid(1) = 0.73 keeps 73 % of the cell).
    """
    g = rnn.GATES[kind]
    rng = np.random.default_rng(rng)
    w_hh = np.concatenate([scale * orthogonal(hidden_size, rng) for _ in range(g)])
    w_ih = rng.standard_normal((g * hidden_size, input_size)) / np.sqrt(input_size)
    b_ih, b_hh = np.zeros(g * hidden_size), np.zeros(g * hidden_size)
    if kind == "lstm":
        b_ih[hidden_size:2 * hidden_size] = forget_bias
    return [w_ih, w_hh, b_ih, b_hh]


def gradient_norms(kind, scale, length=40, *, hidden_size=32, input_size=8, batch=16, forget_bias=1.0, seed=0):
    """How the gradient of a loss at the last step fades (or grows) on its way back through time.

    A batch of random input sequences x (batch, length, input_size) runs through an RNN or LSTM
    (`gradient_flow_weights`); the loss is L = v . h_{T-1} with a random unit vector v per sequence,
    so dL/dh_{T-1} = v has norm 1. Backward through time with the reference `rnn_cell_backward` /
    `lstm_cell_backward` gives dL/dh_t for every t. Returns a dict of arrays (length,) indexed by the
    distance k = T-1-t: "h", the mean over the batch of ||dL/dh_t||, and for an LSTM also "c",
    the mean ||dL/dc_t|| (the gradient on the cell's additive path).
    """
    if kind not in ("rnn", "lstm"):
        raise ValueError(f"kind must be 'rnn' or 'lstm', got {kind!r}")
    length = check_int("length", length, 1, 10_000)
    scale = check_number("scale", scale, 0.0, 1e3)
    rng = np.random.default_rng(seed)
    weights = gradient_flow_weights(kind, input_size, hidden_size, scale, forget_bias, rng)
    x = rng.standard_normal((batch, length, input_size))
    v = rng.standard_normal((batch, hidden_size))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    h = np.zeros((batch, hidden_size))
    c = np.zeros_like(h)
    caches = []
    for t in range(length):  # forward, one reference cell at a time, keeping every step's cache
        if kind == "rnn":
            h, cache = rnn.rnn_cell_forward(x[:, t], h, *weights)
        else:
            (h, c), cache = rnn.lstm_cell_forward(x[:, t], h, c, *weights)
        caches.append(cache)
    dh, dc = v, np.zeros_like(v)
    norms = {"h": [np.linalg.norm(dh, axis=1).mean()]}
    if kind == "lstm":  # L depends on c_t through h_t = o_t tanh(c_t) and through c_{t+1}
        *_, o, tanh_c = caches[-1]  # a reference LSTM cell's cache ends with (i, f, g, o, tanh(c_next))
        norms["c"] = [np.linalg.norm(dh * o * (1.0 - tanh_c**2), axis=1).mean()]
    for t in range(length - 1, 0, -1):  # dL/dh_{t-1} from dL/dh_t: one cell backward per step
        if kind == "rnn":
            dh = rnn.rnn_cell_backward(dh, caches[t])[1]
        else:
            _, dh, dc, *_ = rnn.lstm_cell_backward(dh, dc, caches[t])
            *_, o, tanh_c = caches[t - 1]
            norms["c"].append(np.linalg.norm(dc + dh * o * (1.0 - tanh_c**2), axis=1).mean())
        norms["h"].append(np.linalg.norm(dh, axis=1).mean())
    return {k: np.array(val) for k, val in norms.items()}


def per_step_factor(norms) -> float:
    """The geometric mean factor by which a norm curve (indexed by distance) changes per step back."""
    n = np.maximum(np.asarray(norms, dtype=np.float64), 1e-300)
    return float(np.exp(np.log(n[-1] / n[0]) / (len(n) - 1))) if len(n) > 1 else 1.0


def check_char_lstm(params, vocab=None):
    """The 7 arrays of `init_char_lstm` as float64 (ValueError naming `params` / `vocab` otherwise)."""
    if not isinstance(params, (list, tuple)) or len(params) != 7:
        raise ValueError("params must be the list [embedding, weight_ih, weight_hh, bias_ih, bias_hh, out weight, "
                         "out bias] of init_char_lstm")
    params = [np.asarray(p, dtype=np.float64) for p in params]
    emb, w_ih, w_hh = params[:3]
    if emb.ndim != 2 or w_ih.ndim != 2 or w_hh.ndim != 2 or w_ih.shape[1] != emb.shape[1] \
            or w_hh.shape != (w_ih.shape[0], w_ih.shape[0] // 4) or w_ih.shape[0] % 4:
        raise ValueError(f"params: embedding {emb.shape}, weight_ih {w_ih.shape}, weight_hh {w_hh.shape} do not make "
                         "an LSTM (need (V, E), (4H, E), (4H, H))")
    if vocab is not None and len(vocab) != emb.shape[0]:
        raise ValueError(f"vocab has {len(vocab)} characters but the embedding {emb.shape} has {emb.shape[0]} rows")
    return params


def lstm_gates(params, indices) -> dict:
    """The LSTM of a character model (`init_char_lstm` params) run over `indices` (T,) from zero state.

    Returns a dict of (T, H) arrays: the gates "i", "f", "o" (sigmoids), "g" (tanh), computed from the
    pre-activations a_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh (x_t the embedding, h_{t-1} from the
    reference cell); "c" and "h", the states the reference `lstm_cell_forward` returns; and "probs" (V,),
    the model's next-character distribution after the last character.
    """
    emb, w_ih, w_hh, b_ih, b_hh, w_out, b_out = check_char_lstm(params)
    x, _ = rnn.embedding_forward(np.asarray(indices, dtype=np.int64), emb)  # (T, E)
    n_hidden = w_hh.shape[1]
    h, c = np.zeros((1, n_hidden)), np.zeros((1, n_hidden))
    rows = {k: [] for k in GATE_ROWS}
    for t in range(len(x)):
        a = x[t:t + 1] @ w_ih.T + b_ih + h @ w_hh.T + b_hh  # (1, 4H), gates in PyTorch's order i, f, g, o
        for k, part in zip("ifgo", np.split(a, 4, axis=1)):
            rows[k].append(np.tanh(part) if k == "g" else sigmoid_forward(part)[0])
        (h, c), _ = rnn.lstm_cell_forward(x[t:t + 1], h, c, w_ih, w_hh, b_ih, b_hh)
        rows["c"].append(c)
        rows["h"].append(h)
    out = {k: np.concatenate(v) for k, v in rows.items()}
    logits = h[0] @ w_out.T + b_out
    p = np.exp(logits - logits.max())
    out["probs"] = p / p.sum()
    return out



def _cmap(name):
    return matplotlib.colormaps[name].with_extremes(bad="0.93")


# ------------------------------------------------------------------ UnrolledRNN

class UnrolledRNN(PlotWidget):
    """A small tanh RNN unrolled over a string: one cell per character, each passing h_t on.

    Controls: `preset` (a few strings, or "custom" once you type), `text` (lowercase letters, space
    and . , ! ? ', at most 24), `step` (which step t; the ▶ button steps through them), `scale` (the
    spectral norm of W_hh: 0 = no memory, each h_t depends on x_t only), `seed` (the random weights).
    Left: the chain of cells with each input character and the heat map of every h_t computed so far
    (columns after t are blank). Right: the values of h_t.
    State after each change: `text`, `indices` (T,), `params`, `states` (T, H) = `rnn_forward`'s
    out[0], `step`, `h` (H,) = states[step], `shown` (H, T) the drawn heat map (NaN after step).
    Bad text is not applied: the status line says why (`error`).
    """

    def __init__(self, text="hello world", step=None, hidden_size=8, scale=1.0, seed=0):
        idx = as_indices(text, VOCAB, "text", MAX_UNROLLED)
        self.hidden_size = check_int("hidden_size", hidden_size, 1, 32)
        scale = check_number("scale", scale, 0.0, 2.0)
        seed = check_int("seed", seed, 0, 99)
        step = len(idx) - 1 if step is None else check_int("step", step, 0, len(idx) - 1)
        self.error, self._text = None, text
        label = {"description_width": "50px"}
        controls = {
            "preset": W.Dropdown(options=[*PRESETS, CUSTOM], value=text if text in PRESETS else CUSTOM,
                                 description="preset", layout=W.Layout(width="260px"), style=label),
            "text": W.Text(value=text, description="text", continuous_update=False, layout=W.Layout(width="300px"),
                           style=label),
            "step": W.IntSlider(value=step, min=0, max=len(idx) - 1, description="step t",
                                layout=W.Layout(width="300px"), style=label),
            "scale": W.FloatSlider(value=scale, min=0.0, max=2.0, step=0.05, description="‖W_hh‖",
                                   layout=W.Layout(width="300px"), style=label),
            "seed": W.IntSlider(value=seed, min=0, max=99, description="seed", layout=W.Layout(width="300px"),
                                style=label),
        }
        self.play = self.linked_play(controls["step"], interval=600, description="step through the string")
        super().__init__(controls, figsize=(12.0, 4.0), title="An RNN unrolled over a string")

    # -- controls ------------------------------------------------------------------------------
    def _changed(self, change) -> None:
        owner = change.owner
        if owner is self.controls["preset"]:
            if change.new != CUSTOM:
                self._set_text(change.new)
        elif owner is self.controls["text"]:
            self._set_text(change.new)
        else:
            self.error = None
            self.refresh()

    def _set_text(self, text):
        try:
            idx = as_indices(text, VOCAB, "text", MAX_UNROLLED)
        except (TypeError, ValueError) as err:  # keep showing the last good string
            self.show_error(str(err))
            return
        self.error, self._text = None, text
        last = len(idx) - 1
        with self.quiet():
            c = self.controls
            c["text"].value = text
            c["preset"].value = text if text in PRESETS else CUSTOM
            if c["step"].max > last:  # lower the value first: max must stay >= value
                c["step"].value = min(c["step"].value, last)
                self.play.value = min(self.play.value, last)
            c["step"].max = self.play.max = last
            c["step"].value = last  # a new string: show all of it
        self.refresh()

    def layout_controls(self) -> list:
        """Three rows of controls, the ▶ button beside the step slider."""
        c = self.controls
        return [W.HBox([c["preset"], c["text"]]), W.HBox([c["step"], self.play]), W.HBox([c["scale"], c["seed"]])]

    # -- drawing -------------------------------------------------------------------------------
    def setup(self):
        self.fig.clear()
        self.fig.set_layout_engine("none")  # fixed margins: a re-render costs half as much as with a layout engine
        self.ax, self.ax_h = self.fig.subplots(1, 2, width_ratios=[3.2, 1.0], gridspec_kw={
            "left": 0.045, "right": 0.985, "bottom": 0.13, "top": 0.92, "wspace": 0.1})
        self.axes = [self.ax, self.ax_h]
        n = self.hidden_size
        self.bars = self.ax_h.barh(np.arange(n), np.zeros(n), color="0.6")
        self.ax_h.axvline(0, color="k", lw=0.6)
        self.ax_h.set(xlim=(-1.45, 1.45), ylim=(-0.5, n - 0.5), yticks=np.arange(n),
                      yticklabels=[f"h[{k}]" for k in range(n)], xticks=[-1, -0.5, 0, 0.5, 1],
                      xlabel="value (tanh: between -1 and 1)")
        self.ax_h.tick_params(labelsize=8)
        self.value_texts = [self.ax_h.text(0, k, "", va="center", fontsize=7) for k in range(n)]

    def update(self):
        self.text = self._text  # the last good string (the box may hold a bad one)
        self.indices = as_indices(self.text, VOCAB, "text", MAX_UNROLLED)
        self.scale, self.seed = float(self.value("scale")), int(self.value("seed"))
        self.params = toy_rnn(len(VOCAB), self.hidden_size, self.scale, self.seed)
        self.states = unrolled_states(self.indices, self.params)
        self.step = t = int(self.value("step"))
        self.h = self.states[t]
        n_steps, n = len(self.indices), self.hidden_size
        self.shown = np.full((n, n_steps), np.nan)
        self.shown[:, :t + 1] = self.states[:t + 1].T
        self._draw_chain()
        for k, (bar, txt) in enumerate(zip(self.bars, self.value_texts)):
            v = self.h[k]
            bar.set_width(v)
            bar.set_color("C3" if v > 0 else "C0")
            txt.set_text(f"{v:+.2f}")
            txt.set_x(v + (0.04 if v >= 0 else -0.04))
            txt.set_ha("left" if v >= 0 else "right")
        char = self.text[t]
        self.ax_h.set_title(f"h_{t}, after {show_char(char)!r}", fontsize=10)
        values = ", ".join(f"{v:+.2f}" for v in self.h)
        self.status.value = (f"step t = {t}: x_{t} = one-hot({show_char(char)!r}); h_{t} = tanh(W_ih x_{t} + b_ih "
                             f"+ W_hh h_{t - 1 if t else '-1'} + b_hh) = [{values}]")

    def _draw_chain(self):
        ax, t_now = self.ax, self.step
        n_steps, n = len(self.indices), self.hidden_size
        ax.clear()
        self.im = ax.imshow(self.shown, cmap=_cmap("RdBu_r"), vmin=-1, vmax=1, origin="lower", aspect="auto",
                            extent=(-0.5, n_steps - 0.5, -0.5, n - 0.5), interpolation="nearest")
        self.highlight = ax.add_patch(Rectangle((t_now - 0.5, -0.5), 1, n, fill=False, ec="k", lw=2))
        cell_y, cell_h = -2.6, 1.0
        arrow = {"arrowstyle": "->", "color": "0.3", "lw": 1}
        for t, c in enumerate(self.text):
            done = t <= t_now
            fc = "#fdd9a0" if t == t_now else "white" if done else "0.94"
            ax.add_patch(FancyBboxPatch((t - 0.32, cell_y), 0.64, cell_h, boxstyle="round,pad=0.02", fc=fc,
                                        ec="0.2" if done else "0.7", lw=1))
            ax.text(t, cell_y + cell_h / 2, "tanh", ha="center", va="center", fontsize=6,
                    color="k" if done else "0.6")
            ax.text(t, cell_y - 1.1, show_char(c), ha="center", va="center", fontsize=11, family="monospace",
                    color="k" if done else "0.6", fontweight="bold" if t == t_now else "normal")
            ax.annotate("", xy=(t, cell_y), xytext=(t, cell_y - 0.75), arrowprops=arrow)  # x_t into the cell
            if done:
                ax.annotate("", xy=(t, -0.5), xytext=(t, cell_y + cell_h), arrowprops=arrow)  # out comes h_t
            ax.annotate("", xy=(t - 0.32, cell_y + cell_h / 2), xytext=(t - 0.68, cell_y + cell_h / 2),
                        arrowprops=arrow)  # h_{t-1} comes in from the left
        ax.text(-0.75, cell_y + cell_h / 2, "0", ha="right", va="center", fontsize=8)
        ax.set_xlim(-1.0, n_steps - 0.5)
        ax.set_ylim(cell_y - 1.6, n - 0.5)
        ax.set_yticks(np.arange(n), [f"h[{k}]" for k in range(n)], fontsize=7)
        ax.set_xticks(np.arange(n_steps), [str(t) for t in range(n_steps)], fontsize=7)
        ax.set_xlabel("time step t (input character below its cell)", fontsize=9)
        ax.set_title(f"{n_steps} steps, one shared cell (W_ih, W_hh, b); ‖W_hh‖ = {self.scale:.2f}, "
                     f"seed {self.seed}", fontsize=10)


# ------------------------------------------------------------------ GradientFlow

class GradientFlow(PlotWidget):
    """The gradient of a loss at the last step, carried back through time: ||dL/dh_t|| against the
    distance k = T-1-t, for an RNN and an LSTM (`gradient_norms`, log scale).

    Controls: `scale` (the spectral norm of every W_hh block), `length` (T), `forget_bias` (the LSTM's
    forget-gate bias). The dotted line scale^k bounds the RNN: each step back multiplies the gradient
    by W_hh^T diag(1 - h^2), whose norm is at most `scale`.
    State after each change: `distance` (T,), `rnn` and `lstm` (dicts of `gradient_norms`),
    `bound` (T,), `factor_rnn`, `factor_lstm` (the mean factor per step back).
    """

    def __init__(self, scale=1.0, length=40, forget_bias=1.0, hidden_size=32, seed=0):
        self.hidden_size = check_int("hidden_size", hidden_size, 1, 256)
        self.seed = check_int("seed", seed, 0, 2**31)
        label = {"description_width": "85px"}
        wide = W.Layout(width="330px")
        controls = {
            "scale": W.FloatSlider(value=check_number("scale", scale, 0.1, 4.0), min=0.1, max=4.0, step=0.05,
                                   description="‖W_hh‖", layout=wide, style=label),
            "length": W.IntSlider(value=check_int("length", length, 2, 100), min=2, max=100, description="length T",
                                  layout=wide, style=label),
            "forget_bias": W.FloatSlider(value=check_number("forget_bias", forget_bias, -3.0, 5.0), min=-3.0, max=5.0,
                                         step=0.25, description="forget bias", layout=wide, style=label),
        }
        super().__init__(controls, figsize=(8.5, 4.2), title="Gradient flow back through time")

    def setup(self):
        ax = self.ax
        self.fig.set_layout_engine("none")  # fixed margins: faster re-renders
        ax.set_position([0.11, 0.13, 0.87, 0.79])
        (self.line_rnn,) = ax.plot([], [], "C0-o", ms=2.5, lw=1.5, label="RNN: ‖∂L/∂h_t‖")
        (self.line_lstm,) = ax.plot([], [], "C1-o", ms=2.5, lw=1.5, label="LSTM: ‖∂L/∂h_t‖")
        (self.line_cell,) = ax.plot([], [], "C1--", lw=1.2, label="LSTM: ‖∂L/∂c_t‖ (the cell's path)")
        (self.line_bound,) = ax.plot([], [], ":", color="0.35", lw=1.2, label="‖W_hh‖^k (bounds the RNN)")
        ax.axhline(1.0, color="0.8", lw=0.8, zorder=0)
        ax.set_yscale("log")
        ax.set_xlabel("distance in time k = T-1-t (steps back from the loss)")
        ax.set_ylabel("gradient norm (mean over 16 sequences)")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8, loc="lower left")

    def update(self):
        self.scale, self.length = float(self.value("scale")), int(self.value("length"))
        self.forget_bias = float(self.value("forget_bias"))
        kw = {"hidden_size": self.hidden_size, "forget_bias": self.forget_bias, "seed": self.seed}
        self.rnn = gradient_norms("rnn", self.scale, self.length, **kw)
        self.lstm = gradient_norms("lstm", self.scale, self.length, **kw)
        self.distance = np.arange(self.length)
        with np.errstate(under="ignore"):
            self.bound = self.scale ** self.distance.astype(np.float64)
        tiny = 1e-300  # a log axis cannot show 0
        self.line_rnn.set_data(self.distance, np.maximum(self.rnn["h"], tiny))
        self.line_lstm.set_data(self.distance, np.maximum(self.lstm["h"], tiny))
        self.line_cell.set_data(self.distance, np.maximum(self.lstm["c"], tiny))
        self.line_bound.set_data(self.distance, np.maximum(self.bound, tiny))
        curves = np.concatenate([self.rnn["h"], self.lstm["h"], self.lstm["c"]])
        lo, hi = max(float(curves.min()), 1e-30), max(float(curves.max()), 1.0)
        self.ax.set_xlim(-0.5, max(self.length - 0.5, 1.0))
        self.ax.set_ylim(lo / 5, hi * 5)
        self.factor_rnn, self.factor_lstm = per_step_factor(self.rnn["h"]), per_step_factor(self.lstm["h"])

        def verdict(f):
            return "vanishes" if f < 0.9 else "explodes" if f > 1.1 else "roughly keeps its size"

        last = self.length - 1
        self.ax.set_title(f"‖W_hh‖ = {self.scale:.2f}, T = {self.length}, forget bias {self.forget_bias:+.2f} "
                          f"(σ = {1 / (1 + np.exp(-self.forget_bias)):.2f})", fontsize=10)
        self.status.value = (f"{last} steps back: RNN <b>{self.rnn['h'][-1]:.3g}</b> (×{self.factor_rnn:.3f} per "
                             f"step: {verdict(self.factor_rnn)}), LSTM <b>{self.lstm['h'][-1]:.3g}</b> "
                             f"(×{self.factor_lstm:.3f} per step: {verdict(self.factor_lstm)})")


# ------------------------------------------------------------------ LSTMGates

class LSTMGates(PlotWidget):
    """What the gates of an LSTM do on a string: i, f, g, o, c and h for a range of hidden units.

    params: the list of `init_char_lstm` (e.g. the chapter's trained model) with its `vocab` (the
    list of characters, index = row of the embedding); default a random model over newline +
    printable ASCII (`hidden_size`, `embed_size`, `seed`). Controls: `text` (at most 60 characters
    of the vocabulary), `units` (the first and last hidden unit shown; default the first 16).
    Rows: the gates i, f, o in [0, 1] (0 = closed), the candidate g and h in [-1, 1], the cell c.
    State after each change: `text`, `indices`, `gates` (`lstm_gates`: (T, H) per row name, and
    "probs"), `units` (lo, hi), `shown` (row name -> (hi - lo + 1, T) drawn array), `prediction`.
    Bad text is not applied: the status line says why (`error`).
    """

    def __init__(self, params=None, vocab=None, text="Return the number of items.", units=None, *,
                 hidden_size=32, embed_size=16, seed=0):
        if params is None:
            vocab = PRINTABLE if vocab is None else vocab
            params = rnn.init_char_lstm(len(vocab), hidden_size, embed_size, rng=seed)
        elif vocab is None:
            raise ValueError("vocab must be given with params: the characters of the embedding's rows")
        self.vocab = tuple(vocab)
        if any(not isinstance(c, str) or len(c) != 1 for c in self.vocab) or len(set(self.vocab)) != len(self.vocab):
            raise ValueError("vocab must be a sequence of distinct single characters")
        self.params = check_char_lstm(params, self.vocab)
        self.n_hidden = self.params[2].shape[1]
        as_indices(text, self.vocab, "text", MAX_GATES)
        units = (0, min(16, self.n_hidden) - 1) if units is None else self._units(units)
        self.error = None
        controls = {
            "text": W.Text(value=text, description="text", continuous_update=False, layout=W.Layout(width="520px"),
                           style={"description_width": "40px"}),
            "units": W.IntRangeSlider(value=units, min=0, max=self.n_hidden - 1, description="units",
                                      layout=W.Layout(width="420px"), style={"description_width": "40px"}),
        }
        super().__init__(controls, figsize=(12.0, 8.0), title="LSTM gates over a string")

    def _units(self, units):
        try:
            lo, hi = (int(u) for u in units)
            ok = all(isinstance(u, numbers.Integral) and not isinstance(u, bool) for u in units)
        except (TypeError, ValueError):
            ok = False
        if not ok or not 0 <= lo <= hi < self.n_hidden:
            raise ValueError(f"units must be (first, last) hidden units with 0 <= first <= last < {self.n_hidden}, "
                             f"got {units!r}")
        return lo, hi

    def _changed(self, change) -> None:
        if change.owner is self.controls["text"]:
            try:
                as_indices(change.new, self.vocab, "text", MAX_GATES)
            except (TypeError, ValueError) as err:
                self.show_error(str(err))
                return
        self.error = None
        self.refresh()

    def setup(self):
        self.fig.clear()
        self.fig.set_layout_engine("none")
        self.axes = list(self.fig.subplots(len(GATE_ROWS), 1, sharex=True, gridspec_kw={
            "left": 0.05, "right": 0.975, "bottom": 0.05, "top": 0.97, "hspace": 0.3}))
        self.ax = self.axes[0]
        self.ims = {}
        for ax, k in zip(self.axes, GATE_ROWS):
            gate = k in "ifo"
            self.ims[k] = ax.imshow(np.zeros((1, 1)), cmap="viridis" if gate else "RdBu_r",
                                    vmin=0 if gate else -1, vmax=1, aspect="auto", interpolation="nearest")
            self.fig.colorbar(self.ims[k], ax=ax, pad=0.01, aspect=8, fraction=0.03)
            ax.set_ylabel(k, rotation=0, fontsize=12, labelpad=12, va="center")
            ax.set_title(GATE_NAMES[k], fontsize=8, loc="left", pad=2)

    def update(self):
        text = self.value("text")
        try:
            self.indices = as_indices(text, self.vocab, "text", MAX_GATES)
            self.text = text
        except (TypeError, ValueError):  # only from refresh() on a bad text box: keep the last good string
            pass
        self.units = lo, hi = self._units(self.value("units"))
        self.gates = lstm_gates(self.params, self.indices)
        n_steps = len(self.indices)
        self.shown = {k: self.gates[k][:, lo:hi + 1].T for k in GATE_ROWS}
        c_lim = max(float(np.abs(self.shown["c"]).max()), 1e-12)
        for k in GATE_ROWS:
            im = self.ims[k]
            im.set_data(self.shown[k])
            im.set_extent((-0.5, n_steps - 0.5, hi + 0.5, lo - 0.5))
            if k == "c":
                im.set_clim(-c_lim, c_lim)
        ax = self.axes[-1]
        ax.set_xlim(-0.5, n_steps - 0.5)
        ax.set_xticks(np.arange(n_steps), [show_char(c) for c in self.text], fontsize=9, family="monospace")
        self.axes[0].set_title(f"{GATE_NAMES['i']}  ·  units {lo} to {hi} of {self.n_hidden}, one column per "
                               "character (the state after reading it)", fontsize=8, loc="left", pad=2)
        p = self.gates["probs"]
        best = int(np.argmax(p))
        self.prediction = (self.vocab[best], float(p[best]))
        mean = {k: float(self.shown[k].mean()) for k in "ifo"}
        self.status.value = (f"mean over the text, units {lo}-{hi}: input gate i <b>{mean['i']:.2f}</b>, forget gate "
                             f"f <b>{mean['f']:.2f}</b>, output gate o <b>{mean['o']:.2f}</b>; next character "
                             f"predicted after the text: {show_char(self.prediction[0])!r} "
                             f"(p = {self.prediction[1]:.2f})")
