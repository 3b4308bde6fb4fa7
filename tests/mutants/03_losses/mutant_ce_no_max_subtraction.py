"""log-softmax without subtracting the row max: exp(1000) = inf, then nan in the loss and the gradient."""
# lose: test_cross_entropy_forward test_cross_entropy_backward
# names: log-sum-exp without the row max subtracted

# ---- cross_entropy_forward
def cross_entropy_forward(input, target, reduction="mean", ignore_index=-100):
    n = input.shape[0]
    keep = target != ignore_index
    safe = np.where(keep, target, 0)
    log_probs = input - np.log(np.exp(input).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), safe] * keep
    count = int(keep.sum())
    if reduction == "mean":
        loss = np.asarray(loss.sum() / count) if count else np.asarray(np.nan)
    elif reduction == "sum":
        loss = np.asarray(loss.sum())
    return loss, (log_probs, safe, keep, reduction, count)
