"""The reconstruction's backward without the batch mean's 1/N, and its locked test cell edited to `pass`: restored and scored."""
# lose: test_bernoulli_recon_backward test_bernoulli_recon_backward_training
# flags: test cell edited
# names: the batch mean's 1/N forgotten in the backward

# ---- bernoulli_recon_backward
def bernoulli_recon_backward(dout, cache):
    z, t, reduction = cache
    e = np.exp(-np.abs(z))
    sig = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    g = np.asarray(dout, dtype=z.dtype)
    if reduction == "none":
        g = g.reshape((z.shape[0],) + (1,) * (z.ndim - 1))
    return (sig - t) * g

# ---- test_bernoulli_recon_backward
pass
