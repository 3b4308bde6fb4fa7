"""LSTM backward with dc = dc_next only: the gradient reaching c_next through h_next = o tanh(c_next) is lost."""
# lose: test_lstm_cell_backward
# names: no path from dh to dc

# ---- lstm_cell_backward
def lstm_cell_backward(dh_next, dc_next, cache):
    x, h, c, weight_ih, weight_hh, has_ih, has_hh, i, f, g, o, tc = cache
    dc = dc_next
    da = np.concatenate([dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g ** 2), dh_next * tc * o * (1 - o)],
                        axis=1)
    return (da @ weight_ih, da @ weight_hh, dc * f, da.T @ x, da.T @ h, da.sum(0) if has_ih else None,
            da.sum(0) if has_hh else None)
