"""The backward gives ignored rows softmax - onehot(0) instead of zero (the forward is right)."""
# lose: test_cross_entropy_backward
# names: ignored rows given a gradient

# ---- cross_entropy_backward
def cross_entropy_backward(dout, cache):
    log_probs, safe, keep, reduction, count = cache
    n = log_probs.shape[0]
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), safe] -= 1.0
    g = dout * np.ones(n)
    if reduction == "mean":
        g = g / max(count, 1)
    return dlogits * g[:, None]
