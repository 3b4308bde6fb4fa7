"""tanh' taken at the input state, 1 - h^2, instead of at the output, 1 - h_next^2."""
# lose: test_rnn_cell_backward test_rnn_backward
# names: tanh' of the input state

# ---- rnn_cell_backward
def rnn_cell_backward(dh_next, cache):
    x, h, weight_ih, weight_hh, has_ih, has_hh, h_next = cache
    da = dh_next * (1.0 - h ** 2)
    return (da @ weight_ih, da @ weight_hh, da.T @ x, da.T @ h, da.sum(axis=0) if has_ih else None,
            da.sum(axis=0) if has_hh else None)
