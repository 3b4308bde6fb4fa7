"""max(z, 0) - z t + log(1 + exp(-z)) without the absolute value: wrong for every negative logit, inf at -1000."""
# lose: test_bernoulli_recon_forward
# names: log(1 + exp(-z)) without the absolute value

# ---- bernoulli_recon_forward
def bernoulli_recon_forward(logits, target, reduction="mean"):
    elem = np.maximum(logits, 0.0) - logits * target + np.log(1.0 + np.exp(-logits))
    per_sample = elem.reshape(elem.shape[0], -1).sum(axis=1)
    if reduction == "none":
        return per_sample, (logits, target, reduction)
    return np.asarray(per_sample.mean() if reduction == "mean" else per_sample.sum()), (logits, target, reduction)
