"""Biases always added, even when None: fine with biases, a TypeError without them."""
# lose: test_rnn_cell_forward test_rnn_cell_backward test_rnn_forward test_rnn_backward

# ---- rnn_cell_forward
def rnn_cell_forward(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    h_next = np.tanh(x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh)
    return h_next, (x, h, weight_ih, weight_hh, True, True, h_next)
