"""out stacked time-major, (T, N, H), as nn.RNN without batch_first (the backward, given its own cache, is right)."""
# lose: test_rnn_forward
# names: time-major output

# ---- rnn_forward
def rnn_forward(x, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    n, t_len, _ = x.shape
    h = np.zeros((n, weight_hh.shape[1])) if h0 is None else h0
    outs, caches = [], []
    for t in range(t_len):
        h, c = rnn_cell_forward(x[:, t], h, weight_ih, weight_hh, bias_ih, bias_hh)
        outs.append(h)
        caches.append(c)
    return (np.stack(outs), h), (caches, h0 is not None)
