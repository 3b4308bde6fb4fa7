"""dKL/dlogvar = exp(logvar) / 2: the -1/2 that the -logvar term gives left out (zero gradient at the prior lost)."""
# lose: test_gaussian_kl_backward test_bernoulli_recon_backward_training
# names: the -1 of dKL/dlogvar left out

# ---- gaussian_kl_backward
def gaussian_kl_backward(dout, cache):
    mu, logvar, reduction = cache
    n = mu.shape[0]
    g = np.asarray(dout, dtype=mu.dtype)
    if reduction == "none":
        g = g.reshape((n,) + (1,) * (mu.ndim - 1))
    elif reduction == "mean":
        g = g / n
    return mu * g, 0.5 * np.exp(logvar) * g
