"""Every step starts again from h0: the state is never carried from one step to the next."""
# lose: test_rnn_forward test_rnn_backward
# names: the state not carried

# ---- rnn_forward
def rnn_forward(x, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    n, t_len, _ = x.shape
    start = np.zeros((n, weight_hh.shape[1])) if h0 is None else h0
    outs, caches = [], []
    for t in range(t_len):
        h, c = rnn_cell_forward(x[:, t], start, weight_ih, weight_hh, bias_ih, bias_hh)
        outs.append(h)
        caches.append(c)
    return (np.stack(outs, axis=1), outs[-1]), (caches, h0 is not None)
