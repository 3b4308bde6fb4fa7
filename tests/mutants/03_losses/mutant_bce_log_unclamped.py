"""Logs not clamped at -100: p = 0 with t = 0 gives 0 * -inf = nan (the backward's clamp is forgotten too)."""
# lose: test_binary_cross_entropy_forward test_binary_cross_entropy_backward
# names: logs not clamped at -100

# ---- binary_cross_entropy_forward
def binary_cross_entropy_forward(input, target, reduction="mean"):
    p, t = input, target
    loss = -(t * np.log(p) + (1.0 - t) * np.log(1.0 - p))
    if reduction == "mean":
        loss = np.asarray(loss.mean())
    elif reduction == "sum":
        loss = np.asarray(loss.sum())
    return loss, (p, t, reduction)

# ---- binary_cross_entropy_backward
def binary_cross_entropy_backward(dout, cache):
    p, t, reduction = cache
    dinput = (p - t) / (p * (1.0 - p)) * dout
    if reduction == "mean":
        dinput = dinput / p.size
    return dinput
