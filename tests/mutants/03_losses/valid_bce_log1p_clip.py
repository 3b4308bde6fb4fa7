"""BCE with np.log1p(-p) and np.clip at -100, the gradient written as -t / p + (1 - t) / (1 - p) with a safe denominator."""

# ---- binary_cross_entropy_forward
def binary_cross_entropy_forward(input, target, reduction="mean"):
    with np.errstate(divide="ignore"):
        log_p = np.clip(np.log(input), -100.0, None)
        log_q = np.clip(np.log1p(-input), -100.0, None)
    loss = -(target * log_p + (1 - target) * log_q)
    if reduction != "none":
        loss = np.asarray(loss.mean() if reduction == "mean" else loss.sum())
    return loss, (input, target, reduction)

# ---- binary_cross_entropy_backward
def binary_cross_entropy_backward(dout, cache):
    p, t, reduction = cache
    grad = (p - t) / np.maximum(p - p * p, 1e-12)
    return grad * dout / (p.size if reduction == "mean" else 1)
