"""LSTM gates split in the order i, f, o, g (a common order in papers and other libraries), not PyTorch's i, f, g, o."""
# lose: test_lstm_cell_forward test_lstm_cell_backward
# names: gates in the order i, f, o, g

# ---- lstm_cell_forward
def lstm_cell_forward(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    H = h.shape[1]
    a = x @ weight_ih.T + h @ weight_hh.T
    if bias_ih is not None:
        a = a + bias_ih
    if bias_hh is not None:
        a = a + bias_hh
    sig = lambda z: 0.5 * (1.0 + np.tanh(0.5 * z))
    i, f, o, g = sig(a[:, :H]), sig(a[:, H:2 * H]), sig(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
    c_next = f * c + i * g
    tc = np.tanh(c_next)
    return (o * tc, c_next), (x, h, c, weight_ih, weight_hh, bias_ih is not None, bias_hh is not None, i, f, g, o, tc)

# ---- lstm_cell_backward
def lstm_cell_backward(dh_next, dc_next, cache):
    x, h, c, weight_ih, weight_hh, has_ih, has_hh, i, f, g, o, tc = cache
    dc = dc_next + dh_next * o * (1.0 - tc ** 2)
    da = np.concatenate([dc * g * i * (1 - i), dc * c * f * (1 - f), dh_next * tc * o * (1 - o), dc * i * (1 - g ** 2)],
                        axis=1)
    return (da @ weight_ih, da @ weight_hh, dc * f, da.T @ x, da.T @ h, da.sum(0) if has_ih else None,
            da.sum(0) if has_hh else None)
