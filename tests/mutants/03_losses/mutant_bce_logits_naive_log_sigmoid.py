"""BCE with logits as log(sigmoid(z)) and log(1 - sigmoid(z)): inf and nan at |z| = 1000 (the backward is right)."""
# lose: test_binary_cross_entropy_with_logits_forward
# names: log(sigmoid(z)) computed literally

# ---- binary_cross_entropy_with_logits_forward
def binary_cross_entropy_with_logits_forward(input, target, reduction="mean"):
    z, t = input, target
    p = 1.0 / (1.0 + np.exp(-z))
    loss = -(t * np.log(p) + (1.0 - t) * np.log(1.0 - p))
    if reduction == "mean":
        loss = np.asarray(loss.mean())
    elif reduction == "sum":
        loss = np.asarray(loss.sum())
    return loss, (z, t, reduction)
