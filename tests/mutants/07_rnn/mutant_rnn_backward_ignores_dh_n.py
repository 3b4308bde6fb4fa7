"""The upstream gradient of the final state, dh_n, is dropped (only dout flows back)."""
# lose: test_rnn_backward
# names: dh_n ignored

# ---- rnn_backward
def rnn_backward(dout, dh_n, cache):
    caches, has_h0 = cache
    dx, totals = [], None
    dh = np.zeros_like(dh_n)
    for t in reversed(range(dout.shape[1])):
        grads = rnn_cell_backward(dout[:, t] + dh, caches[t])
        dx.append(grads[0])
        dh = grads[1]
        totals = list(grads[2:]) if totals is None else [None if a is None else a + b for a, b in zip(totals, grads[2:])]
    return (np.stack(dx[::-1], axis=1), dh if has_h0 else None, *totals)
