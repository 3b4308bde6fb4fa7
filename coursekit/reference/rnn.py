"""Chapter 07 - recurrent networks: RNN, LSTM and GRU cells and sequences, embedding, masked
sequence cross-entropy, gradient clipping, and a character-level LSTM language model.

Layouts are PyTorch's (`nn.RNN`, `nn.LSTM`, `nn.GRU` with `batch_first=True`, one layer):

    x: (N, T, D) a batch of sequences;  h, c: (N, H) states
    weight_ih: (G*H, D), weight_hh: (G*H, H), bias_ih, bias_hh: (G*H,) or None
    G = 1 (RNN, tanh), 4 (LSTM, gates in the order i, f, g, o), 3 (GRU, gates r, z, n)

A cell takes one step, `h_next, cache = rnn_cell_forward(x_t, h, ...)`; a sequence op runs the
cell over t = 0..T-1 and returns every hidden state `out` (N, T, H) and the final state, as
PyTorch does: `(out, h_n), cache` (LSTM: `(out, h_n, c_n), cache`). A backward takes one upstream
gradient per output, `rnn_backward(dout, dh_n, cache)`, and returns the gradients of the forward's
array arguments in order (None for a bias or initial state that was None). Backward through time
is the cell's backward run from t = T-1 down to 0, carrying the state's gradient back one step.
"""
from __future__ import annotations

import numpy as np
from scipy import sparse  # the one-hot matrix of embedding_backward

from ._validate import array, generator, indices, integer
from .activations import sigmoid_forward

__all__ = ["CharLSTM", "clip_grad_norm", "embedding_backward", "embedding_forward", "gru_backward", "gru_cell_backward",
           "gru_cell_forward", "gru_forward", "init_char_lstm", "init_recurrent", "lstm_backward",
           "lstm_cell_backward", "lstm_cell_forward", "lstm_forward", "rnn_backward", "rnn_cell_backward",
           "rnn_cell_forward", "rnn_forward", "sample_chars", "sequence_cross_entropy_backward",
           "sequence_cross_entropy_forward"]

GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def _sigmoid(z):
    return sigmoid_forward(z)[0]


# ------------------------------------------------------------------ argument checks

def _weights(kind, weight_ih, weight_hh, bias_ih, bias_hh, d=None):
    """Check the four weights of a `kind` cell; returns them (as arrays) and the hidden size H."""
    g = GATES[kind]
    weight_ih = array("weight_ih", weight_ih, ndim=2)
    weight_hh = array("weight_hh", weight_hh, ndim=2)
    gh = weight_hh.shape[0]
    if gh % g or weight_hh.shape != (gh, gh // g):
        raise ValueError(f"weight_hh must be ({g}*H, H) for a {kind.upper()} ({g} gate{'s' * (g > 1)}), "
                         f"got {weight_hh.shape}")
    if weight_ih.shape[0] != gh:
        raise ValueError(f"weight_ih must have {gh} rows like weight_hh {weight_hh.shape}, got {weight_ih.shape}")
    if d is not None and weight_ih.shape[1] != d:
        raise ValueError(f"x has {d} features but weight_ih expects {weight_ih.shape[1]} "
                         f"(shape {weight_ih.shape} is ({g}*H, D))")
    biases = []
    for name, b in (("bias_ih", bias_ih), ("bias_hh", bias_hh)):
        if b is not None:
            b = array(name, b, ndim=1)
            if b.shape != (gh,):
                raise ValueError(f"{name} must have shape ({gh},) to match weight_hh {weight_hh.shape}, got {b.shape}")
        biases.append(b)
    return weight_ih, weight_hh, biases[0], biases[1], gh // g


def _state(name, h, n, hidden):
    h = array(name, h, ndim=2)
    if h.shape != (n, hidden):
        raise ValueError(f"{name} must have shape ({n}, {hidden}) (batch, hidden), got {h.shape}")
    return h


def _grad(name, g, shape):
    g = array(name, g)
    if g.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {g.shape}")
    return g


def _affine(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """x W_ih^T + b_ih + h W_hh^T + b_hh, the pre-activations of every gate: (N, G*H)."""
    a = x @ weight_ih.T + h @ weight_hh.T
    if bias_ih is not None:
        a = a + bias_ih
    if bias_hh is not None:
        a = a + bias_hh
    return a


def _affine_grads(da, x, h, weight_ih, weight_hh, has_ih, has_hh):
    """Gradients of `_affine` for its upstream gradient da (N, G*H)."""
    return (da @ weight_ih, da @ weight_hh, da.T @ x, da.T @ h,
            da.sum(axis=0) if has_ih else None, da.sum(axis=0) if has_hh else None)


# ------------------------------------------------------------------ RNN (tanh)

def rnn_cell_forward(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One step of `nn.RNNCell` (tanh): h_next = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh).

    x: (N, D); h: (N, H). Returns h_next: (N, H) and a cache.
    """
    x = array("x", x, ndim=2)
    weight_ih, weight_hh, bias_ih, bias_hh, hidden = _weights("rnn", weight_ih, weight_hh, bias_ih, bias_hh, x.shape[1])
    h = _state("h", h, x.shape[0], hidden)
    h_next = np.tanh(_affine(x, h, weight_ih, weight_hh, bias_ih, bias_hh))
    return h_next, (x, h, weight_ih, weight_hh, bias_ih is not None, bias_hh is not None, h_next)


def rnn_cell_backward(dh_next, cache):
    """Gradients of `rnn_cell_forward`: (dx, dh, dweight_ih, dweight_hh, dbias_ih, dbias_hh).

    da = dh_next * (1 - h_next^2), then the affine map's gradients.
    """
    x, h, weight_ih, weight_hh, has_ih, has_hh, h_next = cache
    da = _grad("dh_next", dh_next, h_next.shape) * (1.0 - h_next * h_next)
    return _affine_grads(da, x, h, weight_ih, weight_hh, has_ih, has_hh)


# ------------------------------------------------------------------ LSTM

def lstm_cell_forward(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One step of `nn.LSTMCell`, gates in PyTorch's order (i, f, g, o):

        i, f, g, o = split(x W_ih^T + b_ih + h W_hh^T + b_hh, 4)
        c_next = sigmoid(f) * c + sigmoid(i) * tanh(g);  h_next = sigmoid(o) * tanh(c_next)

    x: (N, D); h, c: (N, H). Returns (h_next, c_next), each (N, H), and a cache.
    """
    x = array("x", x, ndim=2)
    weight_ih, weight_hh, bias_ih, bias_hh, hidden = _weights("lstm", weight_ih, weight_hh, bias_ih, bias_hh,
                                                              x.shape[1])
    h, c = _state("h", h, x.shape[0], hidden), _state("c", c, x.shape[0], hidden)
    a = _affine(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    i, f, o = _sigmoid(a[:, :hidden]), _sigmoid(a[:, hidden:2 * hidden]), _sigmoid(a[:, 3 * hidden:])
    g = np.tanh(a[:, 2 * hidden:3 * hidden])
    c_next = f * c + i * g
    tc = np.tanh(c_next)
    h_next = o * tc
    return (h_next, c_next), (x, h, c, weight_ih, weight_hh, bias_ih is not None, bias_hh is not None,
                              i, f, g, o, tc)


def lstm_cell_backward(dh_next, dc_next, cache):
    """Gradients of `lstm_cell_forward`: (dx, dh, dc, dweight_ih, dweight_hh, dbias_ih, dbias_hh).

    The cell state gets the gradient from h_next too: dc_total = dc_next + dh_next * o * (1 - tanh(c_next)^2).
    """
    x, h, c, weight_ih, weight_hh, has_ih, has_hh, i, f, g, o, tc = cache
    dh_next, dc_next = _grad("dh_next", dh_next, h.shape), _grad("dc_next", dc_next, c.shape)
    dct = dc_next + dh_next * o * (1.0 - tc * tc)
    da = np.concatenate([dct * g * i * (1.0 - i), dct * c * f * (1.0 - f), dct * i * (1.0 - g * g),
                         dh_next * tc * o * (1.0 - o)], axis=1)
    dx, dh, dw_ih, dw_hh, db_ih, db_hh = _affine_grads(da, x, h, weight_ih, weight_hh, has_ih, has_hh)
    return dx, dh, dct * f, dw_ih, dw_hh, db_ih, db_hh


# ------------------------------------------------------------------ GRU

def gru_cell_forward(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One step of `nn.GRUCell`, gates in PyTorch's order (r, z, n):

        r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr),  z likewise,
        n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)),  h_next = (1 - z) * n + z * h

    x: (N, D); h: (N, H). Returns h_next: (N, H) and a cache.
    """
    x = array("x", x, ndim=2)
    weight_ih, weight_hh, bias_ih, bias_hh, hidden = _weights("gru", weight_ih, weight_hh, bias_ih, bias_hh,
                                                              x.shape[1])
    h = _state("h", h, x.shape[0], hidden)
    gi = x @ weight_ih.T + (0.0 if bias_ih is None else bias_ih)
    gh = h @ weight_hh.T + (0.0 if bias_hh is None else bias_hh)
    r = _sigmoid(gi[:, :hidden] + gh[:, :hidden])
    z = _sigmoid(gi[:, hidden:2 * hidden] + gh[:, hidden:2 * hidden])
    hn = gh[:, 2 * hidden:]
    n = np.tanh(gi[:, 2 * hidden:] + r * hn)
    h_next = (1.0 - z) * n + z * h
    return h_next, (x, h, weight_ih, weight_hh, bias_ih is not None, bias_hh is not None, r, z, n, hn)


def gru_cell_backward(dh_next, cache):
    """Gradients of `gru_cell_forward`: (dx, dh, dweight_ih, dweight_hh, dbias_ih, dbias_hh).

    The reset gate multiplies h W_hn^T + b_hn, so the input and hidden pre-activations of n get
    different gradients: d(gi_n) = dn (1 - n^2), d(gh_n) = d(gi_n) * r.
    """
    x, h, weight_ih, weight_hh, has_ih, has_hh, r, z, n, hn = cache
    dh_next = _grad("dh_next", dh_next, h.shape)
    dn = dh_next * (1.0 - z) * (1.0 - n * n)
    dz = dh_next * (h - n) * z * (1.0 - z)
    dr = dn * hn * r * (1.0 - r)
    dgi = np.concatenate([dr, dz, dn], axis=1)
    dgh = np.concatenate([dr, dz, dn * r], axis=1)
    dx, dh = dgi @ weight_ih, dgh @ weight_hh + dh_next * z
    return (dx, dh, dgi.T @ x, dgh.T @ h, dgi.sum(axis=0) if has_ih else None,
            dgh.sum(axis=0) if has_hh else None)


# ------------------------------------------------------------------ sequences: forward, and backward through time

def _sequence(kind, x, states, weights):
    x = array("x", x, ndim=3)
    weight_ih, weight_hh, bias_ih, bias_hh, hidden = _weights(kind, *weights, d=x.shape[2])
    n = x.shape[0]
    given = [s is not None for s in states]
    states = [np.zeros((n, hidden), dtype=np.result_type(x, weight_hh)) if s is None else
              _state(name, s, n, hidden) for name, s in zip(("h0", "c0"), states)]
    return x, states, given, (weight_ih, weight_hh, bias_ih, bias_hh)


def _run(cell, x, states, weights):
    """Run `cell` over the time axis; returns out (N, T, H), the final states and the step caches."""
    outs, caches = [], []
    for t in range(x.shape[1]):
        new, cache = cell(x[:, t], *states, *weights)
        states = list(new) if isinstance(new, tuple) else [new]
        outs.append(states[0])
        caches.append(cache)
    return np.stack(outs, axis=1), states, caches


def _run_backward(cell_backward, douts, dstates, caches, given, weights):
    """Backward through time: from the last step to the first, each step's state gradient is the
    upstream one at that step plus what the next step sent back. Returns the forward's gradients."""
    weight_ih, weight_hh, bias_ih, bias_hh = weights
    dx = []
    acc = [np.zeros_like(weight_ih), np.zeros_like(weight_hh),
           None if bias_ih is None else np.zeros_like(bias_ih), None if bias_hh is None else np.zeros_like(bias_hh)]
    for t in reversed(range(len(caches))):
        dstates[0] = dstates[0] + douts[:, t]
        grads = cell_backward(*dstates, caches[t])
        k = len(dstates)
        dx.append(grads[0])
        dstates = list(grads[1:1 + k])
        for j, g in enumerate(grads[1 + k:]):
            if g is not None:
                acc[j] += g
    dx = np.stack(dx[::-1], axis=1)
    return (dx, *[d if ok else None for d, ok in zip(dstates, given)], *acc)


def rnn_forward(x, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """`nn.RNN(batch_first=True)`, one layer, tanh. x: (N, T, D); h0: (N, H) or None (zeros).

    Returns (out, h_n) and a cache: out (N, T, H) holds every h_t, h_n (N, H) the last one.
    """
    x, states, given, weights = _sequence("rnn", x, [h0], (weight_ih, weight_hh, bias_ih, bias_hh))
    out, states, caches = _run(rnn_cell_forward, x, states, weights)
    return (out, states[0]), (caches, given, weights, out.shape)


def rnn_backward(dout, dh_n, cache):
    """Backward through time of `rnn_forward`. dout: (N, T, H); dh_n: (N, H).

    Returns (dx, dh0, dweight_ih, dweight_hh, dbias_ih, dbias_hh); dh0 is None when h0 was None.
    """
    caches, given, weights, shape = cache
    dout = _grad("dout", dout, shape)
    return _run_backward(rnn_cell_backward, dout, [_grad("dh_n", dh_n, shape[::2])], caches, given, weights)


def lstm_forward(x, h0, c0, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """`nn.LSTM(batch_first=True)`, one layer. x: (N, T, D); h0, c0: (N, H) or None (zeros).

    Returns (out, h_n, c_n) and a cache: out (N, T, H) holds every h_t; h_n, c_n the last states.
    """
    x, states, given, weights = _sequence("lstm", x, [h0, c0], (weight_ih, weight_hh, bias_ih, bias_hh))
    out, states, caches = _run(lstm_cell_forward, x, states, weights)
    return (out, states[0], states[1]), (caches, given, weights, out.shape)


def lstm_backward(dout, dh_n, dc_n, cache):
    """Backward through time of `lstm_forward`. dout: (N, T, H); dh_n, dc_n: (N, H).

    Returns (dx, dh0, dc0, dweight_ih, dweight_hh, dbias_ih, dbias_hh) (None for states that were None).
    """
    caches, given, weights, shape = cache
    dout = _grad("dout", dout, shape)
    return _run_backward(lstm_cell_backward, dout, [_grad("dh_n", dh_n, shape[::2]), _grad("dc_n", dc_n, shape[::2])],
                         caches, given, weights)


def gru_forward(x, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """`nn.GRU(batch_first=True)`, one layer. x: (N, T, D); h0: (N, H) or None (zeros).

    Returns (out, h_n) and a cache, as `rnn_forward`.
    """
    x, states, given, weights = _sequence("gru", x, [h0], (weight_ih, weight_hh, bias_ih, bias_hh))
    out, states, caches = _run(gru_cell_forward, x, states, weights)
    return (out, states[0]), (caches, given, weights, out.shape)


def gru_backward(dout, dh_n, cache):
    """Backward through time of `gru_forward`: (dx, dh0, dweight_ih, dweight_hh, dbias_ih, dbias_hh)."""
    caches, given, weights, shape = cache
    dout = _grad("dout", dout, shape)
    return _run_backward(gru_cell_backward, dout, [_grad("dh_n", dh_n, shape[::2])], caches, given, weights)


# ------------------------------------------------------------------ embedding, masked loss, clipping

def embedding_forward(input, weight, padding_idx=None):
    """`F.embedding`: the rows of weight (V, D) picked by the integer array input (any shape).

    Returns out (*input.shape, D) and a cache. padding_idx: a row that gets no gradient.
    """
    input = indices("input", input, "integer indices of rows of weight")
    weight = array("weight", weight, ndim=2)
    v = weight.shape[0]
    if input.size and (input.min() < 0 or input.max() >= v):
        raise IndexError(f"input holds indices from {input.min()} to {input.max()}, but weight {weight.shape} "
                         f"has rows 0..{v - 1}")
    if padding_idx is not None:
        padding_idx = integer("padding_idx", padding_idx)
        if not -v <= padding_idx < v:
            raise ValueError(f"padding_idx={padding_idx} is out of range for weight {weight.shape}")
        padding_idx %= v
    return weight[input], (input, weight.shape, weight.dtype, padding_idx)


def embedding_backward(dout, cache):
    """Gradient of `embedding_forward` for weight: dout's rows added up per index; the padding_idx row
    stays zero. dout: (*input.shape, D). Returns dweight (V, D).

    The lookup is onehot(input) @ weight, so dweight = onehot(input)^T @ dout: a (V, n) matrix with a
    single 1 per column, stored sparse (column j holds its 1 at row input[j]), times dout (n, D)."""
    input, shape, dtype, padding_idx = cache
    dout = _grad("dout", dout, input.shape + (shape[1],))
    n = input.size
    onehot_t = sparse.csc_array((np.ones(n, dout.dtype), input.reshape(-1), np.arange(n + 1)), shape=(shape[0], n))
    dweight = np.asarray(onehot_t @ dout.reshape(n, shape[1])).astype(np.result_type(dtype, dout), copy=False)
    if padding_idx is not None:
        dweight[padding_idx] = 0.0
    return dweight


def sequence_cross_entropy_forward(input, target, mask):
    """Mean cross-entropy over the unmasked steps of a batch of sequences.

    input: (N, T, V) logits; target: (N, T) class indices; mask: (N, T), True (or 1) where a step
    counts, False at padding. loss = sum(mask * CE) / sum(mask), CE by log-sum-exp.
    Returns a 0-d loss and a cache; the mean over no step at all is nan, as PyTorch's.
    """
    input = array("input", input, ndim=3)
    target = indices("target", target, "integer class indices")
    if target.shape != input.shape[:2]:
        raise ValueError(f"target must have shape {input.shape[:2]} (N, T) for input {input.shape}, got {target.shape}")
    if not isinstance(mask, np.ndarray):
        raise TypeError(f"mask must be a numpy.ndarray, got {type(mask).__module__}.{type(mask).__qualname__}")
    if mask.dtype.kind not in "biuf":
        raise TypeError(f"mask must hold booleans (or 0 and 1), got dtype {mask.dtype}")
    if mask.shape != input.shape[:2]:
        raise ValueError(f"mask must have shape {input.shape[:2]} like target, got {mask.shape}")
    if target.size and (target.min() < 0 or target.max() >= input.shape[2]):
        raise IndexError(f"target holds classes up to {target.max()}, input has {input.shape[2]}")
    m = mask.astype(input.dtype)
    z = input - input.max(axis=2, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=2, keepdims=True))
    picked = np.take_along_axis(logp, target[..., None], axis=2)[..., 0]
    count = m.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        loss = np.asarray(-(picked * m).sum() / count, dtype=input.dtype)
    return loss, (logp, target, m, count)


def sequence_cross_entropy_backward(dout, cache):
    """Gradient for input: (softmax - onehot(target)) * mask * dout / sum(mask). dout: a 0-d array."""
    logp, target, m, count = cache
    dout = _grad("dout", dout, ())
    d = np.exp(logp)
    np.put_along_axis(d, target[..., None], np.take_along_axis(d, target[..., None], axis=2) - 1.0, axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return d * (m / count * dout)[..., None]


def clip_grad_norm(grads, max_norm, norm_type=2.0):
    """`torch.nn.utils.clip_grad_norm_`, without modifying anything: scale every gradient by
    max_norm / (total_norm + 1e-6) when the norm of all of them together exceeds max_norm.

    grads: a list of arrays (None entries are kept). Returns (clipped grads, total_norm as a float).
    """
    arrays = [array(f"grads[{k}]", g) for k, g in enumerate(grads) if g is not None]
    if norm_type == np.inf:
        total = max((float(np.abs(g).max()) for g in arrays if g.size), default=0.0)
    else:
        total = float(sum(float((np.abs(g) ** norm_type).sum()) for g in arrays) ** (1.0 / norm_type))
    scale = min(1.0, max_norm / (total + 1e-6))
    return [None if g is None else g * scale for g in grads], total


# ------------------------------------------------------------------ a character-level LSTM language model

def init_recurrent(kind, input_size, hidden_size, bias=True, rng=None):
    """[weight_ih, weight_hh, bias_ih, bias_hh] drawn as `nn.RNN` / `nn.LSTM` / `nn.GRU` draw them:
    U(-1/sqrt(H), 1/sqrt(H)) for every one."""
    g, rng = GATES[kind], generator(rng)
    k = 1.0 / np.sqrt(integer("hidden_size", hidden_size, 1))
    shapes = [(g * hidden_size, integer("input_size", input_size, 1)), (g * hidden_size, hidden_size)]
    shapes += [(g * hidden_size,)] * 2 if bias else []
    return [rng.uniform(-k, k, s) for s in shapes] + ([] if bias else [None, None])


def init_char_lstm(vocab_size, hidden_size=128, embed_size=32, rng=None):
    """Parameters of embedding -> LSTM -> linear: [embedding (V, E), weight_ih, weight_hh, bias_ih,
    bias_hh, out weight (V, H), out bias (V,)]; embedding N(0, 1) and linear U(+-1/sqrt(H)), as PyTorch."""
    rng = generator(rng)
    emb = rng.standard_normal((integer("vocab_size", vocab_size, 2), integer("embed_size", embed_size, 1)))
    lstm = init_recurrent("lstm", embed_size, hidden_size, rng=rng)
    k = 1.0 / np.sqrt(hidden_size)
    return [emb, *lstm, rng.uniform(-k, k, (vocab_size, hidden_size)), rng.uniform(-k, k, vocab_size)]


class CharLSTM:
    """The character model as functions of its parameter list (see `init_char_lstm`)."""

    @staticmethod
    def forward(params, idx, state=None):
        """Logits (N, T, V) for index sequences idx (N, T), the final (h, c), and a cache."""
        emb, w_ih, w_hh, b_ih, b_hh, w_out, b_out = params
        x, c_emb = embedding_forward(idx, emb)
        h0, c0 = (None, None) if state is None else state
        (out, h_n, c_n), c_lstm = lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
        logits = out @ w_out.T + b_out
        return logits, (h_n, c_n), (c_emb, c_lstm, out, w_out)

    @staticmethod
    def loss(params, idx, target, state=None, clip=None):
        """Mean next-character cross-entropy over (N, T); returns (loss, grads like params, final state).

        clip: clip the gradients' global norm to this value (the usual guard against exploding gradients).
        """
        logits, state_n, (c_emb, c_lstm, out, w_out) = CharLSTM.forward(params, idx, state)
        loss, c_loss = sequence_cross_entropy_forward(logits, target, np.ones(target.shape, dtype=bool))
        dlogits = sequence_cross_entropy_backward(np.ones_like(loss), c_loss)
        d2 = dlogits.reshape(-1, dlogits.shape[2])
        dw_out, db_out = d2.T @ out.reshape(-1, out.shape[2]), d2.sum(axis=0)
        dout = dlogits @ w_out
        zeros = np.zeros_like(state_n[0])
        dx, _, _, dw_ih, dw_hh, db_ih, db_hh = lstm_backward(dout, zeros, zeros, c_lstm)
        grads = [embedding_backward(dx, c_emb), dw_ih, dw_hh, db_ih, db_hh, dw_out, db_out]
        if clip is not None:
            grads, _ = clip_grad_norm(grads, clip)
        return float(loss), grads, state_n


def sample_chars(params, start, length, temperature=1.0, rng=None):
    """Sample `length` indices after the index sequence `start` (a list), one step at a time:
    softmax(logits / temperature). Low temperature: likely characters; high: more surprise."""
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    rng = generator(rng)
    logits, state, _ = CharLSTM.forward(params, np.asarray([start], dtype=np.int64))
    out = []
    for _ in range(integer("length", length, 0)):
        z = logits[0, -1] / temperature
        p = np.exp(z - z.max())
        nxt = int(rng.choice(len(p), p=p / p.sum()))
        out.append(nxt)
        logits, state, _ = CharLSTM.forward(params, np.asarray([[nxt]], dtype=np.int64), state)
    return out
