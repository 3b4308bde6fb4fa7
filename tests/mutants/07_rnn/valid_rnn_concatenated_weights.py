"""The textbook RNN cell, tanh(W [h; x] + b), with W = [W_hh | W_ih] and b = b_ih + b_hh built inside."""

# ---- rnn_cell_forward
def rnn_cell_forward(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    W = np.concatenate([weight_hh, weight_ih], axis=1)  # (H, H + D)
    b = np.zeros(W.shape[0])
    for bias in (bias_ih, bias_hh):
        if bias is not None:
            b = b + bias
    hx = np.concatenate([h, x], axis=1)  # (N, H + D)
    h_next = np.tanh(hx @ W.T + b)
    return h_next, {"hx": hx, "W": W, "H": h.shape[1], "h_next": h_next,
                    "biases": (bias_ih is not None, bias_hh is not None)}

# ---- rnn_cell_backward
def rnn_cell_backward(dh_next, cache):
    H = cache["H"]
    da = dh_next * (1.0 - cache["h_next"] ** 2)
    dhx = da @ cache["W"]
    dW = da.T @ cache["hx"]
    db = da.sum(axis=0)
    has_ih, has_hh = cache["biases"]
    return dhx[:, H:], dhx[:, :H], dW[:, H:], dW[:, :H], db if has_ih else None, db.copy() if has_hh else None
