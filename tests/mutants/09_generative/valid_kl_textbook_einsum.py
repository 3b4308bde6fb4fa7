"""The textbook KL -1/2 sum(1 + logvar - mu^2 - exp(logvar)), summed per sample with einsum; a loop over samples backward."""

# ---- gaussian_kl_forward
def gaussian_kl_forward(mu, logvar, reduction="mean"):
    n = mu.shape[0]
    elem = -0.5 * (1.0 + logvar - np.square(mu) - np.exp(logvar))
    per_sample = np.einsum("nd->n", elem.reshape(n, -1))
    out = {"none": per_sample, "sum": np.sum(per_sample), "mean": np.sum(per_sample) / n}[reduction]
    return out, (mu, logvar, reduction)

# ---- gaussian_kl_backward
def gaussian_kl_backward(dout, cache):
    mu, logvar, reduction = cache
    dmu, dlogvar = np.empty_like(mu), np.empty_like(logvar)
    for i in range(mu.shape[0]):
        g = dout[i] if reduction == "none" else (dout / mu.shape[0] if reduction == "mean" else dout)
        dmu[i] = mu[i] * g
        dlogvar[i] = -0.5 * (1.0 - np.exp(logvar[i])) * g
    return dmu, dlogvar
