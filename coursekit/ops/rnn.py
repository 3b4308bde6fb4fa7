"""Chapter 07, recurrent networks: RNN/LSTM/GRU cells and sequences, embedding, sequence cross-entropy."""
from __future__ import annotations

import numpy as np

from ..reference import rnn
from .spec import Case, OpSpec, backward_mistake, forward_mistake, mistake, register

_TORCH_RECURRENT = {"rnn_cell": "RNNCell", "lstm_cell": "LSTMCell", "gru_cell": "GRUCell", "rnn": "RNN",
                    "lstm": "LSTM", "gru": "GRU"}


def _torch_recurrent(name):
    """`nn.<Module>` (batch_first for sequences) called with the given tensors as its weights
    (`torch.func.functional_call`, so autograd reaches them): PyTorch's own code, our weights."""

    def call(x, *rest):
        import torch
        from torch.func import functional_call

        states, (w_ih, w_hh, b_ih, b_hh) = rest[:-4], rest[-4:]
        if (b_ih is None) != (b_hh is None):
            raise ValueError("PyTorch's recurrent modules take both biases or neither")
        seq = not name.endswith("_cell")
        kw = {"batch_first": True} if seq else {}
        module = getattr(torch.nn, _TORCH_RECURRENT[name])(w_ih.shape[1], w_hh.shape[1], bias=b_ih is not None,
                                                            device="meta", **kw)
        suffix = "_l0" if seq else ""
        params = {f"weight_ih{suffix}": w_ih, f"weight_hh{suffix}": w_hh}
        if b_ih is not None:
            params.update({f"bias_ih{suffix}": b_ih, f"bias_hh{suffix}": b_hh})
        given = [s for s in states if s is not None]
        states = [torch.zeros_like(given[0]) if s is None and given else s for s in states]  # a None state is zeros
        if seq:
            states = [None if s is None else s[None] for s in states]  # (num_layers=1, N, H)
        hx = (tuple(states) if None not in states else None) if name.startswith("lstm") else states[0]
        out = functional_call(module, params, (x, hx))
        if name == "lstm":
            return out[0], out[1][0][0], out[1][1][0]
        if seq:
            return out[0], out[1][0]
        return out

    return call


def _recurrent_cases(kind, seq):
    g = {"rnn": 1, "lstm": 4, "gru": 3}[kind]

    def cases(rng, hidden):
        n = rng.standard_normal

        def c(label, dims, T=None, scale=1.0, bias=True, states=True, x=None, zero_state=False):
            N, D, H = dims
            k = scale / np.sqrt(H)
            w = {"weight_ih": rng.uniform(-k, k, (g * H, D)), "weight_hh": rng.uniform(-k, k, (g * H, H)),
                 "bias_ih": rng.uniform(-k, k, g * H) if bias else None,
                 "bias_hh": rng.uniform(-k, k, g * H) if bias else None}
            xs = n((N, T, D) if seq else (N, D)) if x is None else x
            names = (("h0", "c0") if seq else ("h", "c"))[:2 if kind == "lstm" else 1]
            st = {s: (np.zeros((N, H)) if zero_state else n((N, H))) if states or not seq else None for s in names}
            return Case(label, {"x": xs, **st, **w})

        t = {} if not seq else {"T": 5}
        if not hidden:
            return [
                c("random N=3, D=4, H=5", (3, 4, 5), **t),
                c("batch of one, D=3, H=2", (1, 3, 2), **({"T": 1} if seq else {})),
                c("non-square N=2, D=6, H=3, no biases", (2, 6, 3), bias=False, **t),
                c("exact zeros: x and the state 0", (2, 3, 4), x=np.zeros((2, 5, 3) if seq else (2, 3)),
                  zero_state=True, **t),
                c("large magnitudes: x * 1000 (saturated gates)", (2, 3, 4),
                  x=1000 * n((2, 5, 3) if seq else (2, 3)), **t),
            ] + ([c("no initial state (zeros)", (2, 3, 4), states=False, **t)] if seq else [])
        return [
            c("one hidden unit", (4, 3, 1), **t),
            c("one input feature", (3, 1, 4), **t),
            c("wide N=4, D=16, H=12", (4, 16, 12), **t),
            c("big weights x 3 (exploding)", (2, 3, 4), scale=3.0, **({"T": 12} if seq else {})),
        ] + ([c("long T=30, small weights x 0.5 (vanishing)", (2, 3, 4), T=30, scale=0.5)] if seq else [])

    return cases


def _recurrent_bench(kind, seq):
    g = {"rnn": 1, "lstm": 4, "gru": 3}[kind]

    def bench(rng):
        N, T, D, H = 32, 50, 128, 128
        k = 1 / np.sqrt(H)
        names = (("h0", "c0") if seq else ("h", "c"))[:2 if kind == "lstm" else 1]
        return Case(f"bench N={N}, {'T=' + str(T) + ', ' if seq else ''}D={D}, H={H}", {
            "x": rng.standard_normal((N, T, D) if seq else (N, D)), **{s: rng.standard_normal((N, H)) for s in names},
            "weight_ih": rng.uniform(-k, k, (g * H, D)), "weight_hh": rng.uniform(-k, k, (g * H, H)),
            "bias_ih": rng.uniform(-k, k, g * H), "bias_hh": rng.uniform(-k, k, g * H)})

    return bench


_RECURRENT_HINTS = {
    "rnn_cell": {"forward": "h_next = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh); a None bias adds nothing.",
                 "backward": "da = dh_next * (1 - h_next^2); dx = da W_ih, dh = da W_hh, dW_ih = da^T x, "
                             "dW_hh = da^T h, db_ih = db_hh = da summed over the batch."},
    "lstm_cell": {"forward": "Split the 4H pre-activations in PyTorch's order i, f, g, o; c_next = f c + i g, "
                             "h_next = o tanh(c_next), with sigmoid for i, f, o and tanh for g.",
                  "backward": "The cell state gets both gradients: dc = dc_next + dh_next * o * (1 - tanh(c_next)^2); "
                              "then di = dc g, df = dc c, dg = dc i, do = dh_next tanh(c_next), each times its "
                              "activation's derivative, concatenated in the order i, f, g, o; dc_prev = dc f."},
    "gru_cell": {"forward": "r, z from sigmoid; n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)); "
                            "h_next = (1 - z) n + z h (PyTorch's order r, z, n).",
                 "backward": "The hidden part of n is multiplied by r: its pre-activation gradient is "
                             "dn (1 - n^2) * r, the input part's dn (1 - n^2); dh gets dh_next * z directly too."},
}
_SEQ_HINTS = {"forward": "Run the cell for t = 0..T-1, feeding each step's state to the next; out[:, t] is h_t, "
                         "h_n the last state; a None initial state is zeros.",
              "backward": "From t = T-1 down to 0: the state's gradient is dout[:, t] plus what step t+1 sent back "
                          "(dh_n at the last step); add up the weight gradients of every step."}


# ------------------------------------------------------------------ known mistakes (rnn_cell, rnn, lstm_cell)

def _rnn_cell_with(pre):
    """An RNN cell forward whose h_next is `pre(x, h, weight_ih, weight_hh, bias_ih, bias_hh)`, made
    wrongly, with the reference's cache (so the reference backward shows what it does to the gradients)."""

    def forward(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
        h_next = pre(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
        return h_next, (x, h, weight_ih, weight_hh, bias_ih is not None, bias_hh is not None, h_next)

    return forward


def _rnn_cell_backward_with(slope="h_next", dw_state="h", dh_weight=lambda w: w):
    """An RNN cell backward with tanh's derivative at `slope` ("h_next", "h" or None: left out),
    dweight_hh from `dw_state` ("h" or "h_next") and dh = da @ dh_weight(weight_hh)."""

    def backward(dh_next, cache):
        x, h, w_ih, w_hh, has_ih, has_hh, h_next = cache
        s = {"h_next": h_next, "h": h}.get(slope)
        da = dh_next if s is None else dh_next * (1.0 - s * s)
        dx, _, dw_ih, _, db_ih, db_hh = rnn._affine_grads(da, x, h, w_ih, w_hh, has_ih, has_hh)
        return dx, da @ dh_weight(w_hh), dw_ih, da.T @ (h_next if dw_state == "h_next" else h), db_ih, db_hh

    return backward


_RNN_CELL_FORWARD = (  # (name, explanation, the pre-activation made wrongly)
    ("the tanh left out", "your cell's h_next is the pre-activation x W_ih^T + b_ih + h W_hh^T + b_hh itself: "
     "apply np.tanh to it.", rnn._affine),
    ("weight_hh not transposed", "your cell multiplies the state by weight_hh instead of its transpose: weight_hh "
     "is laid out (out, in) like weight_ih, so use h @ weight_hh.T.",
     lambda x, h, w_ih, w_hh, b_ih, b_hh: np.tanh(rnn._affine(x, h, w_ih, w_hh.T, b_ih, b_hh))),
    ("bias_hh left out", "your cell adds bias_ih only: PyTorch's cell has two biases, so add bias_hh too "
     "(each one when it is not None).",
     lambda x, h, w_ih, w_hh, b_ih, b_hh: np.tanh(rnn._affine(x, h, w_ih, w_hh, b_ih, None))),
)
_RNN_CELL_BACKWARD = (  # (name, explanation, the cell's backward made wrongly)
    ("dweight_hh from h_next", "your cell's dweight_hh uses the state it produced, h_next; weight_hh multiplied "
     "the state the cell received, so dweight_hh = da^T h.", _rnn_cell_backward_with(dw_state="h_next")),
    ("tanh' of the input state", "your cell takes tanh's derivative as 1 - h^2 with the state it received; the "
     "tanh made h_next, so da = dh_next * (1 - h_next^2).", _rnn_cell_backward_with(slope="h")),
    ("tanh' left out", "your cell passes dh_next straight to the weights: go back through the tanh first, "
     "da = dh_next * (1 - h_next^2).", _rnn_cell_backward_with(slope=None)),
    ("weight_hh transposed in dh", "your cell's dh multiplies by weight_hh^T; the forward computed h @ weight_hh.T, "
     "so dh = da @ weight_hh.", _rnn_cell_backward_with(dh_weight=lambda w: w.T)),
)


def _rnn_with(cell):
    """`rnn_forward` running the cell forward `cell` (a mistaken one) over time, with the reference's cache."""

    def forward(x, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
        x, states, given, weights = rnn._sequence("rnn", x, [h0], (weight_ih, weight_hh, bias_ih, bias_hh))
        out, states, caches = rnn._run(cell, x, states, weights)
        return (out, states[0]), (caches, given, weights, out.shape)

    return forward


def _rnn_from_h0(x, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """Every step starts from h0: the state never carried to the next step."""
    x, (h,), given, weights = rnn._sequence("rnn", x, [h0], (weight_ih, weight_hh, bias_ih, bias_hh))
    steps = [rnn.rnn_cell_forward(x[:, t], h, *weights) for t in range(x.shape[1])]
    out = np.stack([s[0] for s in steps], axis=1)
    return (out, out[:, -1]), ([s[1] for s in steps], given, weights, out.shape)


def _rnn_time_major(*args, **kwargs):
    out, h_n = rnn.rnn_forward(*args, **kwargs)[0]
    return out.transpose(1, 0, 2), h_n


def _rnn_one_step_behind(x, h0, *weights):
    """out[:, t] holds the state before step t (h0, or zeros, first); h_n is right."""
    out, h_n = rnn.rnn_forward(x, h0, *weights)[0]
    return np.concatenate([np.zeros_like(h_n[:, None]) if h0 is None else h0[:, None], out[:, :-1]], axis=1), h_n


def _bptt(dout, dh_n, cache, cell=rnn.rnn_cell_backward, carry=True, summed=True):
    """Backward through time of the reference's rnn cache with the cell backward `cell`; without `carry` no
    step gets the next one's dh, without `summed` the weight gradients are those of step 0 alone."""
    caches, given, _, _ = cache
    dx, total, nxt = [], None, dh_n
    for t in reversed(range(dout.shape[1])):
        grads = cell(dout[:, t] + nxt, caches[t])
        dx.append(grads[0])
        nxt = grads[1] if carry else 0.0
        w = list(grads[2:])
        total = w if total is None or not summed else [None if a is None else a + b for a, b in zip(total, w)]
    return (np.stack(dx[::-1], axis=1), grads[1] if given[0] else None, *total)


def _bptt_mistake(name, explanation, **how):
    return backward_mistake(name, explanation, lambda spec, case, dout, cache: _bptt(*dout, cache, **how))


_RNN_CELL_MISTAKES = (
    *(mistake(n, e, forward=_rnn_cell_with(pre), carry=True) for n, e, pre in _RNN_CELL_FORWARD),
    *(backward_mistake(n, e, lambda spec, case, dout, cache, b=b: b(dout, cache)) for n, e, b in _RNN_CELL_BACKWARD),
)
_RNN_MISTAKES = (
    mistake("the state not carried", "every step of yours starts again from h0: feed each step the state the "
            "previous step returned (h = the cell's h_next), h0 at the first step only.",
            forward=_rnn_from_h0, carry=True),
    forward_mistake("time-major output", "your out has shape (T, N, H), time first (np.stack's default axis=0); "
                    "batch_first means (N, T, H): stack along axis=1, out[:, t] = h_t.", _rnn_time_major),
    forward_mistake("out one step behind", "your out[:, t] holds the state before step t (h0 first): store the "
                    "state each step returns, so out[:, t] = h_t and out[:, -1] = h_n.", _rnn_one_step_behind),
    *(mistake(n, e, forward=_rnn_with(_rnn_cell_with(pre)), carry=True) for n, e, pre in _RNN_CELL_FORWARD),
    _bptt_mistake("the next step's gradient forgotten", "each of your steps gets only dout[:, t]: add what step "
                  "t+1 sent back (its dh) to it, and run the cell's backward on the sum.", carry=False),
    backward_mistake("dh_n ignored", "your backward drops dh_n, the upstream gradient of the final state: start "
                     "the carried gradient at dh_n, not at zeros.",
                     lambda spec, case, dout, cache: _bptt(dout[0], np.zeros_like(dout[1]), cache)),
    _bptt_mistake("the weight gradients of one step", "your weight and bias gradients are those of a single step "
                  "(overwritten in the loop): the same weights act at every step, so sum them over the steps.",
                  summed=False),
    *(_bptt_mistake(n, e, cell=b) for n, e, b in _RNN_CELL_BACKWARD),
)


def _lstm_cell_with(g_act=np.tanh, h_act=np.tanh, order=(0, 1, 2, 3)):
    """An LSTM cell forward with the g gate through `g_act`, h_next = o * h_act(c_next) and the 4 gate blocks
    read in `order` (PyTorch's i, f, g, o is (0, 1, 2, 3)), with the reference's cache."""

    def forward(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
        a = np.split(rnn._affine(x, h, weight_ih, weight_hh, bias_ih, bias_hh), 4, axis=1)
        i, f, g, o = (a[k] for k in order)
        i, f, g, o = rnn._sigmoid(i), rnn._sigmoid(f), g_act(g), rnn._sigmoid(o)
        c_next = f * c + i * g
        tc = h_act(c_next)
        return (o * tc, c_next), (x, h, c, weight_ih, weight_hh, bias_ih is not None, bias_hh is not None,
                                  i, f, g, o, tc)

    return forward


def _ifog(a):
    """The 4 gate blocks of rows of a weight or bias with the last two swapped (i, f, g, o <-> i, f, o, g)."""
    return None if a is None else np.concatenate([np.split(a, 4)[k] for k in (0, 1, 3, 2)])


def _ifog_grads(dh_next, dc_next, cache):
    """The gradients of the i, f, o, g cell: the reference's for the weights with their blocks swapped, put back."""
    dx, dh, dc, *rest = rnn.lstm_cell_backward(dh_next, dc_next, (*cache[:3], _ifog(cache[3]), _ifog(cache[4]),
                                                                  *cache[5:]))
    return (dx, dh, dc, *map(_ifog, rest))


def _lstm_cell_backward_with(dc_of=None, carry_f=True):
    """An LSTM cell backward whose cell-state gradient is `dc_of(dh_next, dc_next, o, tc, c_next)` and whose
    dc_prev lacks the forget gate unless `carry_f`."""

    def backward(dh_next, dc_next, cache):
        x, h, c, w_ih, w_hh, has_ih, has_hh, i, f, g, o, tc = cache
        dc = (dc_next + dh_next * o * (1.0 - tc * tc) if dc_of is None
              else dc_of(dh_next, dc_next, o, tc, f * c + i * g))
        da = np.concatenate([dc * g * i * (1.0 - i), dc * c * f * (1.0 - f), dc * i * (1.0 - g * g),
                             dh_next * tc * o * (1.0 - o)], axis=1)
        dx, dh, dw_ih, dw_hh, db_ih, db_hh = rnn._affine_grads(da, x, h, w_ih, w_hh, has_ih, has_hh)
        return dx, dh, dc * f if carry_f else dc, dw_ih, dw_hh, db_ih, db_hh

    return backward


def _lstm_backward_mistake(name, explanation, **how):
    b = _lstm_cell_backward_with(**how)
    return backward_mistake(name, explanation, lambda spec, case, dout, cache: b(*dout, cache))


_LSTM_CELL_MISTAKES = (
    mistake("gates in the order i, f, o, g", "you split the pre-activations as i, f, o, g (the order of many papers); "
            "PyTorch's weights hold them as i, f, g, o: g is the third block of H columns, o the fourth.",
            forward=_lstm_cell_with(order=(0, 1, 3, 2)), backward=_ifog_grads, carry=True),
    mistake("h without the tanh", "your h_next is o * c_next: squash the cell state first, h_next = o * "
            "tanh(c_next).", forward=_lstm_cell_with(h_act=lambda c: c), carry=True),
    mistake("g through a sigmoid", "your candidate g goes through a sigmoid like the gates; g is the new content, "
            "in (-1, 1): g = tanh of its block (i, f, o use the sigmoid).",
            forward=_lstm_cell_with(g_act=rnn._sigmoid), carry=True),
    _lstm_backward_mistake("dc_prev without f", "your gradient of the previous cell state is dc itself; c_next = "
                           "f * c + i * g, so dc_prev = dc * f.", carry_f=False),
    _lstm_backward_mistake("no path from dh to dc", "your cell state gets dc_next only; c_next also made h_next = "
                           "o * tanh(c_next), so dc = dc_next + dh_next * o * (1 - tanh(c_next)^2).",
                           dc_of=lambda dh, dc, o, tc, c_next: dc),
    _lstm_backward_mistake("tanh' left out on the cell state", "you pass dh_next * o to the cell state without "
                           "tanh's derivative: dc = dc_next + dh_next * o * (1 - tanh(c_next)^2).",
                           dc_of=lambda dh, dc, o, tc, c_next: dc + dh * o),
    _lstm_backward_mistake("tanh' as 1 - c_next^2", "you took tanh's derivative at the cell state as 1 - c_next^2; "
                           "it is 1 - tanh(c_next)^2, the square of the tanh you applied.",
                           dc_of=lambda dh, dc, o, tc, c_next: dc + dh * o * (1.0 - c_next * c_next)),
)
_MISTAKES = {"rnn_cell": _RNN_CELL_MISTAKES, "rnn": _RNN_MISTAKES, "lstm_cell": _LSTM_CELL_MISTAKES}

for _kind in ("rnn", "lstm", "gru"):
    for _seq in (False, True):
        _name = _kind if _seq else f"{_kind}_cell"
        _states = (("h0", "c0") if _seq else ("h", "c"))[:2 if _kind == "lstm" else 1]
        _outs = (("out", "h_n", "c_n") if _kind == "lstm" else ("out", "h_n")) if _seq else \
            (("h_next", "c_next") if _kind == "lstm" else ("out",))
        register(OpSpec(
            name=_name, chapter="07_rnn", forward=getattr(rnn, f"{_name}_forward"),
            backward=getattr(rnn, f"{_name}_backward"), torch=_torch_recurrent(_name),
            inputs=("x", *_states, "weight_ih", "weight_hh", "bias_ih", "bias_hh"), outputs=_outs,
            cases=_recurrent_cases(_kind, _seq), bench=_recurrent_bench(_kind, _seq),
            hints=_SEQ_HINTS if _seq else _RECURRENT_HINTS[_name], mistakes=_MISTAKES.get(_name, ()),
        ))


def _embedding_cases(rng, hidden):
    n = rng.standard_normal

    def c(label, idx, v, d, **kw):  # padding_idx: a zero gradient by definition, not d/dweight (no numerical check)
        return Case(label, {"input": np.asarray(idx, dtype=np.int64), "weight": n((v, d))}, kw,
                    smooth="padding_idx" not in kw)

    if not hidden:
        return [
            c("random (3, 4) indices into (10, 5)", rng.integers(0, 10, (3, 4)), 10, 5),
            c("batch of one, repeated index", [[2, 2, 2]], 4, 3),
            c("padding_idx=0 gets no gradient", [[0, 1, 0], [3, 0, 2]], 4, 6, padding_idx=0),
            Case("exact zeros and large magnitudes", {"input": np.array([[1, 0], [2, 1]]),
                                                      "weight": np.array([[0.0, 1000.0], [-1000.0, 0.0], [5.0, 0.0]])}),
        ]
    return [c("1-D indices (7,)", rng.integers(0, 6, 7), 6, 4),
            c("3-D indices (2, 3, 2)", rng.integers(0, 5, (2, 3, 2)), 5, 3),
            c("negative padding_idx=-1", [[3, 1, 3]], 4, 2, padding_idx=-1)]


def _torch_embedding(input, weight, padding_idx=None):
    import torch.nn.functional as F

    return F.embedding(input, weight, padding_idx=padding_idx)


register(OpSpec(
    name="embedding", chapter="07_rnn", forward=rnn.embedding_forward, backward=rnn.embedding_backward,
    torch=_torch_embedding, inputs=("input", "weight"), differentiable=("weight",), cases=_embedding_cases, kinks=True,
    bench=lambda rng: Case("bench (32, 50) indices into (1000, 128)", {"input": rng.integers(0, 1000, (32, 50)),
                                                                       "weight": rng.standard_normal((1000, 128))}),
    hints={"forward": "weight[input]: fancy indexing picks one row per index, out has shape input.shape + (D,).",
           "backward": "np.add.at(dweight, input.ravel(), dout.reshape(-1, D)): repeated indices add up "
                       "(dweight[input] += ... would keep only one); the padding_idx row stays 0."}))


def _seq_ce_cases(rng, hidden):
    n = rng.standard_normal

    def c(label, N, T, V, mask=None, scale=1.0):
        m = np.ones((N, T), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
        return Case(label, {"input": scale * n((N, T, V)), "target": rng.integers(0, V, (N, T)), "mask": m})

    if not hidden:
        return [c("random (2, 4, 5), no padding", 2, 4, 5),
                c("batch of one, padded tail", 1, 5, 3, mask=[[1, 1, 1, 0, 0]]),
                c("padding of different lengths (3, 4, 6)", 3, 4, 6, mask=[[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]]),
                c("large magnitudes: logits x 1000", 2, 3, 4, scale=1000.0),
                Case("exact zeros: equal logits", {"input": np.zeros((2, 3, 4)), "target": rng.integers(0, 4, (2, 3)),
                                                   "mask": np.array([[1, 1, 0], [1, 1, 1]], dtype=bool)})]
    return [c("one class", 2, 3, 1), c("long (2, 20, 7), half padded", 2, 20, 7,
                                                     mask=np.arange(20) < 10 + np.zeros((2, 1))),
            c("mask of 0 and 1", 2, 3, 4, mask=[[1, 0, 1], [0, 1, 1]])]


def _torch_seq_ce(input, target, mask):
    import torch.nn.functional as F

    m = mask.to(input.dtype)
    return (F.cross_entropy(input.transpose(1, 2), target, reduction="none") * m).sum() / m.sum()


register(OpSpec(
    name="sequence_cross_entropy", chapter="07_rnn", forward=rnn.sequence_cross_entropy_forward,
    backward=rnn.sequence_cross_entropy_backward, torch=_torch_seq_ce, inputs=("input", "target", "mask"),
    differentiable=("input",), cases=_seq_ce_cases,
    bench=lambda rng: Case("bench (32, 50, 1000)", {"input": rng.standard_normal((32, 50, 1000)),
                                                    "target": rng.integers(0, 1000, (32, 50)),
                                                    "mask": np.ones((32, 50), dtype=bool)}),
    hints={"forward": "log_softmax over the last axis (log-sum-exp), pick the target's log-probability, average "
                      "-logp over the steps where mask is True only.",
           "backward": "(softmax - onehot(target)) * mask / mask.sum() * dout."}))
