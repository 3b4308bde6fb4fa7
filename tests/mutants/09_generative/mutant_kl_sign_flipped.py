"""KL = 1/2 sum(1 + logvar - mu^2 - exp(logvar)): the minus in front lost, a KL <= 0 (and its gradients negated)."""
# lose: test_gaussian_kl_forward test_gaussian_kl_backward test_bernoulli_recon_backward_training
# names: the KL's sign flipped

# ---- gaussian_kl_forward
def gaussian_kl_forward(mu, logvar, reduction="mean"):
    elem = 0.5 * (1.0 + logvar - mu ** 2 - np.exp(logvar))
    per_sample = elem.reshape(len(mu), -1).sum(axis=1)
    if reduction != "none":
        per_sample = np.asarray(per_sample.mean() if reduction == "mean" else per_sample.sum())
    return per_sample, (mu, logvar, reduction)

# ---- gaussian_kl_backward
def gaussian_kl_backward(dout, cache):
    mu, logvar, reduction = cache
    g = np.asarray(dout, dtype=float)
    g = g.reshape((-1,) + (1,) * (mu.ndim - 1)) if reduction == "none" else (g / len(mu) if reduction == "mean" else g)
    return -mu * g, 0.5 * (1.0 - np.exp(logvar)) * g
