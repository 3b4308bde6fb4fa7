"""The previous cell state gets dc instead of dc * f (the forget gate left out of the carry)."""
# lose: test_lstm_cell_backward
# names: dc_prev without f

# ---- lstm_cell_backward
def lstm_cell_backward(dh_next, dc_next, cache):
    x, h, c, weight_ih, weight_hh, has_ih, has_hh, i, f, g, o, tc = cache
    dc = dc_next + dh_next * o * (1.0 - tc ** 2)
    da = np.concatenate([dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g ** 2), dh_next * tc * o * (1 - o)],
                        axis=1)
    return (da @ weight_ih, da @ weight_hh, dc, da.T @ x, da.T @ h, da.sum(0) if has_ih else None,
            da.sum(0) if has_hh else None)
