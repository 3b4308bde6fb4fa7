"""With ignore_index, the mean divides by N (all rows), not by the rows that count, in both passes."""
# lose: test_cross_entropy_forward test_cross_entropy_backward
# names: the mean over every row, ignored ones too

# ---- cross_entropy_forward
def cross_entropy_forward(input, target, reduction="mean", ignore_index=-100):
    n = input.shape[0]
    keep = target != ignore_index
    safe = np.where(keep, target, 0)
    shifted = input - input.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), safe] * keep
    if reduction == "mean":
        loss = np.asarray(loss.sum() / n)
    elif reduction == "sum":
        loss = np.asarray(loss.sum())
    return loss, (log_probs, safe, keep, reduction, n)
