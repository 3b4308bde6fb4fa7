"""The bracket slip: -t log p + (1 - t) log(1 - p), a negative loss for t = 0 (the backward is right)."""
# lose: test_binary_cross_entropy_forward
# names: the brackets left out

# ---- binary_cross_entropy_forward
def binary_cross_entropy_forward(input, target, reduction="mean"):
    p, t = input, target
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), -100.0)
        log_1mp = np.maximum(np.log(1.0 - p), -100.0)
    loss = -t * log_p + (1.0 - t) * log_1mp
    if reduction == "mean":
        loss = np.asarray(loss.mean())
    elif reduction == "sum":
        loss = np.asarray(loss.sum())
    return loss, (p, t, reduction)
