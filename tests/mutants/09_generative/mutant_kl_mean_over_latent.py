"""The KL of a sample as the mean of its per-dim KLs, not their sum (the forward only; the backward is right)."""
# lose: test_gaussian_kl_forward
# names: the mean over the latent dims, not the sum

# ---- gaussian_kl_forward
def gaussian_kl_forward(mu, logvar, reduction="mean"):
    elem = 0.5 * (mu * mu + np.exp(logvar) - 1.0 - logvar)
    per_sample = elem.reshape(elem.shape[0], -1).mean(axis=1)
    if reduction == "mean":
        return np.asarray(per_sample.mean()), (mu, logvar, reduction)
    if reduction == "sum":
        return np.asarray(per_sample.sum()), (mu, logvar, reduction)
    return per_sample, (mu, logvar, reduction)
