"""Chapter 07, recurrent networks: RNN/LSTM/GRU cells and sequences, embedding, sequence cross-entropy."""
from __future__ import annotations

import numpy as np

from ..reference import rnn
from .spec import Case, OpSpec, register

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
            hints=_SEQ_HINTS if _seq else _RECURRENT_HINTS[_name],
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
