"""-[x log sigmoid(l) + (1 - x) log(1 - sigmoid(l))] computed literally: -inf and nan at |l| = 1000 (backward right)."""
# lose: test_bernoulli_recon_forward
# names: log(sigmoid(logits)) computed literally

# ---- bernoulli_recon_forward
def bernoulli_recon_forward(logits, target, reduction="mean"):
    p = 1.0 / (1.0 + np.exp(-logits))
    elem = -(target * np.log(p) + (1.0 - target) * np.log(1.0 - p))
    per_sample = elem.reshape(elem.shape[0], -1).sum(axis=1)
    if reduction == "none":
        return per_sample, (logits, target, reduction)
    return np.asarray(per_sample.mean() if reduction == "mean" else per_sample.sum()), (logits, target, reduction)
