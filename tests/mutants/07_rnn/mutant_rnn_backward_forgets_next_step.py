"""Backprop through time without the gradient from the next time step: each step sees only dout[:, t]."""
# lose: test_rnn_backward
# names: the next step's gradient forgotten

# ---- rnn_backward
def rnn_backward(dout, dh_n, cache):
    caches, has_h0 = cache
    dx, totals = [], None
    T = dout.shape[1]
    for t in reversed(range(T)):
        upstream = dout[:, t] + (dh_n if t == T - 1 else 0.0)
        grads = rnn_cell_backward(upstream, caches[t])
        dx.append(grads[0])
        dh = grads[1]
        totals = list(grads[2:]) if totals is None else [None if a is None else a + b for a, b in zip(totals, grads[2:])]
    return (np.stack(dx[::-1], axis=1), dh if has_h0 else None, *totals)
