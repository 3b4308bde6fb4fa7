"""reduction='mean' as F.binary_cross_entropy_with_logits takes it, over every pixel, not per sample then over the batch."""
# lose: test_bernoulli_recon_forward test_bernoulli_recon_backward test_bernoulli_recon_backward_training
# names: the mean over every element, not per sample

# ---- bernoulli_recon_forward
def bernoulli_recon_forward(logits, target, reduction="mean"):
    elem = np.maximum(logits, 0.0) - logits * target + np.log1p(np.exp(-np.abs(logits)))
    if reduction == "mean":
        return np.asarray(elem.mean()), (logits, target, reduction)
    per_sample = elem.reshape(elem.shape[0], -1).sum(axis=1)
    return (np.asarray(per_sample.sum()) if reduction == "sum" else per_sample), (logits, target, reduction)

# ---- bernoulli_recon_backward
def bernoulli_recon_backward(dout, cache):
    z, t, reduction = cache
    e = np.exp(-np.abs(z))
    grad = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)) - t
    if reduction == "none":
        return grad * dout.reshape((-1,) + (1,) * (z.ndim - 1))
    return grad * dout / (z.size if reduction == "mean" else 1)
