"""h_next = o * c_next: the tanh on the cell state forgotten."""
# lose: test_lstm_cell_forward test_lstm_cell_backward
# names: h without the tanh

# ---- lstm_cell_forward
def lstm_cell_forward(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    H = h.shape[1]
    a = x @ weight_ih.T + h @ weight_hh.T + (0 if bias_ih is None else bias_ih) + (0 if bias_hh is None else bias_hh)
    sig = lambda z: 0.5 * (1.0 + np.tanh(0.5 * z))
    i, f, g, o = sig(a[:, :H]), sig(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sig(a[:, 3 * H:])
    c_next = f * c + i * g
    return (o * c_next, c_next), (x, h, c, weight_ih, weight_hh, bias_ih is not None, bias_hh is not None,
                                  i, f, g, o, c_next)
