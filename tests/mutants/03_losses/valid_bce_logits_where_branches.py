"""BCE with logits from two np.where branches, t softplus(-z) + (1 - t) softplus(z), each softplus stable."""

# ---- binary_cross_entropy_with_logits_forward
def _softplus(x):
    return np.where(x > 0, x + np.log1p(np.exp(-np.abs(x))), np.log1p(np.exp(-np.abs(x))))

def binary_cross_entropy_with_logits_forward(input, target, reduction="mean"):
    loss = target * _softplus(-input) + (1.0 - target) * _softplus(input)
    if reduction == "none":
        return loss, (input, target, reduction)
    total = loss.sum()
    if reduction == "mean":
        total = total / loss.size
    return np.asarray(total), (input, target, reduction)

# ---- binary_cross_entropy_with_logits_backward
def binary_cross_entropy_with_logits_backward(dout, cache):
    z, t, reduction = cache
    sig = np.where(z >= 0, 1.0 / (1.0 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1.0 + np.exp(-np.abs(z))))
    scale = dout / z.size if reduction == "mean" else dout
    return (sig - t) * scale
