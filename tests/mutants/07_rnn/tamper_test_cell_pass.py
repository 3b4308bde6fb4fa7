"""BPTT without the next step's gradient, and the locked rnn_backward test cell edited to `pass`: restored and scored."""
# lose: test_rnn_backward
# flags: test cell edited

# ---- rnn_backward
def rnn_backward(dout, dh_n, cache):
    caches, has_h0 = cache
    dx, totals = [], None
    for t in reversed(range(dout.shape[1])):
        grads = rnn_cell_backward(dout[:, t] + (dh_n if t == dout.shape[1] - 1 else 0.0), caches[t])
        dx.append(grads[0])
        totals = list(grads[2:]) if totals is None else [None if a is None else a + b for a, b in zip(totals, grads[2:])]
    return (np.stack(dx[::-1], axis=1), grads[1] if has_h0 else None, *totals)

# ---- test_rnn_backward
pass
