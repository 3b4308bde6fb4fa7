"""dlogits = target - sigmoid(logits): the gradient's sign flipped (a step would climb the loss)."""
# lose: test_bernoulli_recon_backward test_bernoulli_recon_backward_training
# names: the gradient's sign flipped

# ---- bernoulli_recon_backward
def bernoulli_recon_backward(dout, cache):
    z, t, reduction = cache
    n = z.shape[0]
    e = np.exp(-np.abs(z))
    sig = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    g = np.asarray(dout, dtype=z.dtype)
    if reduction == "none":
        g = g.reshape((n,) + (1,) * (z.ndim - 1))
    elif reduction == "mean":
        g = g / n
    return (t - sig) * g
