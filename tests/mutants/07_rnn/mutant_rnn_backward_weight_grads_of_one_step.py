"""Weight gradients overwritten at every step instead of summed: only the first step's are returned."""
# lose: test_rnn_backward
# names: the weight gradients of one step

# ---- rnn_backward
def rnn_backward(dout, dh_n, cache):
    caches, has_h0 = cache
    dx = []
    dh = dh_n
    for t in reversed(range(dout.shape[1])):
        grads = rnn_cell_backward(dout[:, t] + dh, caches[t])
        dx.append(grads[0])
        dh = grads[1]
        totals = grads[2:]
    return (np.stack(dx[::-1], axis=1), dh if has_h0 else None, *totals)
