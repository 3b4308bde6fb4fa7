"""Assignment 07_rnn: the solutions of its answer cells.

assignments/build_sources.py copies each function below, from its `def` line to its
`### END SOLUTION`, into the answer cell of the same name (assignment.md places the cells):
edit here, then run `python assignments/build_sources.py`.
"""
import numpy as np


def rnn_cell_forward(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One step of nn.RNNCell (tanh).

    x: (N, D); h: (N, H); weight_ih: (H, D); weight_hh: (H, H); bias_ih, bias_hh: (H,) or None.
    Returns (h_next, cache): h_next is (N, H).
    """
    ### BEGIN SOLUTION
    a = x @ weight_ih.T + h @ weight_hh.T
    if bias_ih is not None:
        a = a + bias_ih
    if bias_hh is not None:
        a = a + bias_hh
    h_next = np.tanh(a)
    cache = (x, h, weight_ih, weight_hh, bias_ih is not None, bias_hh is not None, h_next)
    return h_next, cache
    ### END SOLUTION


def rnn_cell_backward(dh_next, cache):
    """Gradients of rnn_cell_forward.

    dh_next: (N, H). Returns (dx, dh, dweight_ih, dweight_hh, dbias_ih, dbias_hh), shaped like the
    forward's arguments (a bias gradient is None when that bias was None).
    """
    ### BEGIN SOLUTION
    x, h, weight_ih, weight_hh, has_ih, has_hh, h_next = cache
    da = dh_next * (1.0 - h_next ** 2)
    dx = da @ weight_ih
    dh = da @ weight_hh
    dweight_ih = da.T @ x
    dweight_hh = da.T @ h
    dbias_ih = da.sum(axis=0) if has_ih else None
    dbias_hh = da.sum(axis=0) if has_hh else None
    return dx, dh, dweight_ih, dweight_hh, dbias_ih, dbias_hh
    ### END SOLUTION


def rnn_forward(x, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """nn.RNN(batch_first=True), one layer, tanh.

    x: (N, T, D); h0: (N, H) or None (zeros). Returns ((out, h_n), cache): out (N, T, H) holds
    every hidden state, h_n (N, H) the last one.
    """
    ### BEGIN SOLUTION
    n, t_len, _ = x.shape
    hidden = weight_hh.shape[1]
    h = np.zeros((n, hidden)) if h0 is None else h0
    out = np.zeros((n, t_len, hidden))
    caches = []
    for t in range(t_len):
        h, c = rnn_cell_forward(x[:, t], h, weight_ih, weight_hh, bias_ih, bias_hh)
        out[:, t] = h
        caches.append(c)
    return (out, h), (caches, h0 is not None)
    ### END SOLUTION


def rnn_backward(dout, dh_n, cache):
    """Backpropagation through time for rnn_forward.

    dout: (N, T, H); dh_n: (N, H). Returns (dx, dh0, dweight_ih, dweight_hh, dbias_ih, dbias_hh);
    dh0 is None when h0 was None, a bias gradient None when that bias was None.
    """
    ### BEGIN SOLUTION
    caches, has_h0 = cache
    dx = []
    dh = dh_n
    totals = None
    for t in reversed(range(dout.shape[1])):
        grads = rnn_cell_backward(dout[:, t] + dh, caches[t])
        dx.append(grads[0])
        dh = grads[1]
        if totals is None:
            totals = list(grads[2:])
        else:
            totals = [None if a is None else a + b for a, b in zip(totals, grads[2:])]
    dx = np.stack(dx[::-1], axis=1)
    return (dx, dh if has_h0 else None, *totals)
    ### END SOLUTION


def lstm_cell_forward(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One step of nn.LSTMCell, gates in the order i, f, g, o.

    x: (N, D); h, c: (N, H); weight_ih: (4H, D); weight_hh: (4H, H); biases: (4H,) or None.
    Returns ((h_next, c_next), cache), each state (N, H).
    """
    ### BEGIN SOLUTION
    hidden = h.shape[1]
    a = x @ weight_ih.T + h @ weight_hh.T
    if bias_ih is not None:
        a = a + bias_ih
    if bias_hh is not None:
        a = a + bias_hh

    def sigmoid(z):
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    i = sigmoid(a[:, :hidden])
    f = sigmoid(a[:, hidden:2 * hidden])
    g = np.tanh(a[:, 2 * hidden:3 * hidden])
    o = sigmoid(a[:, 3 * hidden:])
    c_next = f * c + i * g
    tc = np.tanh(c_next)
    h_next = o * tc
    cache = (x, h, c, weight_ih, weight_hh, bias_ih is not None, bias_hh is not None, i, f, g, o, tc)
    return (h_next, c_next), cache
    ### END SOLUTION


def lstm_cell_backward(dh_next, dc_next, cache):
    """Gradients of lstm_cell_forward.

    dh_next, dc_next: (N, H). Returns (dx, dh, dc, dweight_ih, dweight_hh, dbias_ih, dbias_hh),
    shaped like the forward's arguments (None for a bias that was None).
    """
    ### BEGIN SOLUTION
    x, h, c, weight_ih, weight_hh, has_ih, has_hh, i, f, g, o, tc = cache
    dc = dc_next + dh_next * o * (1.0 - tc ** 2)
    da = np.concatenate([dc * g * i * (1.0 - i), dc * c * f * (1.0 - f), dc * i * (1.0 - g ** 2),
                         dh_next * tc * o * (1.0 - o)], axis=1)
    dx = da @ weight_ih
    dh = da @ weight_hh
    dweight_ih = da.T @ x
    dweight_hh = da.T @ h
    dbias_ih = da.sum(axis=0) if has_ih else None
    dbias_hh = da.sum(axis=0) if has_hh else None
    return dx, dh, dc * f, dweight_ih, dweight_hh, dbias_ih, dbias_hh
    ### END SOLUTION
