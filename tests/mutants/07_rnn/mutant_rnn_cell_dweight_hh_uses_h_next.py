"""dweight_hh computed with the state the cell produced (h_next) instead of the one it received (h)."""
# lose: test_rnn_cell_backward test_rnn_backward
# names: dweight_hh from h_next

# ---- rnn_cell_backward
def rnn_cell_backward(dh_next, cache):
    x, h, weight_ih, weight_hh, has_ih, has_hh, h_next = cache
    da = dh_next * (1.0 - h_next ** 2)
    return (da @ weight_ih, da @ weight_hh, da.T @ x, da.T @ h_next, da.sum(axis=0) if has_ih else None,
            da.sum(axis=0) if has_hh else None)
