"""The KL's backward for reduction='mean' without the 1/N of the batch mean (right for 'sum' and 'none')."""
# lose: test_gaussian_kl_backward test_bernoulli_recon_backward_training
# names: the batch mean's 1/N forgotten in the backward

# ---- gaussian_kl_backward
def gaussian_kl_backward(dout, cache):
    mu, logvar, reduction = cache
    g = np.asarray(dout, dtype=mu.dtype)
    if reduction == "none":
        g = g.reshape((mu.shape[0],) + (1,) * (mu.ndim - 1))
    return mu * g, 0.5 * np.expm1(logvar) * g
