"""cross_entropy one row at a time in Python loops, with math.log and a stable max shift per row."""

# ---- cross_entropy_forward
import math

def cross_entropy_forward(input, target, reduction="mean", ignore_index=-100):
    n, c = input.shape
    per_row = np.zeros(n)
    probs = np.zeros((n, c))
    count = 0
    for i in range(n):
        m = max(input[i])
        exps = [math.exp(v - m) for v in input[i]]
        total = sum(exps)
        probs[i] = [e / total for e in exps]
        if target[i] == ignore_index:
            continue
        count += 1
        per_row[i] = m + math.log(total) - input[i, target[i]]
    if reduction == "none":
        return per_row, (probs, target, ignore_index, reduction, count)
    loss = per_row.sum() / count if reduction == "mean" else per_row.sum()
    return np.asarray(loss), (probs, target, ignore_index, reduction, count)

# ---- cross_entropy_backward
def cross_entropy_backward(dout, cache):
    probs, target, ignore_index, reduction, count = cache
    dx = np.zeros_like(probs)
    for i in range(probs.shape[0]):
        if target[i] == ignore_index:
            continue
        g = dout[i] if reduction == "none" else (dout / count if reduction == "mean" else dout)
        dx[i] = probs[i] * g
        dx[i, target[i]] -= g
    return dx
