"""log_softmax = x - logsumexp(x), the input cached and the softmax recomputed in the backward."""

# ---- log_softmax_forward
def _logsumexp(x, dim):
    m = np.max(x, axis=dim, keepdims=True)
    return m + np.log(np.sum(np.exp(x - m), axis=dim, keepdims=True))

def log_softmax_forward(x, dim=-1):
    return x - _logsumexp(x, dim), (x, dim)

# ---- log_softmax_backward
def log_softmax_backward(dout, cache):
    x, dim = cache
    s = np.exp(x - _logsumexp(x, dim))
    return dout - s * np.sum(dout, axis=dim, keepdims=True)
