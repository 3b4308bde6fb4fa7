"""The reconstruction term as logaddexp(0, l) - l x, summed sample by sample in a loop; the gradient with scipy's expit."""

# ---- bernoulli_recon_forward
def bernoulli_recon_forward(logits, target, reduction="mean"):
    elem = np.logaddexp(0.0, logits) - logits * target
    per_sample = np.array([float(np.sum(row)) for row in elem])
    if reduction == "none":
        return per_sample, [logits, target, reduction]
    total = sum(per_sample)
    return np.float64(total / len(per_sample) if reduction == "mean" else total), [logits, target, reduction]

# ---- bernoulli_recon_backward
def bernoulli_recon_backward(dout, cache):
    from scipy.special import expit

    logits, target, reduction = cache
    grad = expit(logits) - target
    for i in range(len(grad)):
        grad[i] = grad[i] * (dout[i] if reduction == "none" else dout)
    return grad / len(grad) if reduction == "mean" else grad
