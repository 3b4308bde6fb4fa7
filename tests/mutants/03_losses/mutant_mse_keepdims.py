"""The reduced loss has shape (1, ..., 1) (keepdims=True), not a 0-d array."""
# lose: test_mse_loss_forward
# names: a loss of shape (1, ..., 1)

# ---- mse_loss_forward
def mse_loss_forward(input, target, reduction="mean"):
    diff = input - target
    loss = diff * diff
    if reduction == "mean":
        loss = loss.mean(keepdims=True)
    elif reduction == "sum":
        loss = loss.sum(keepdims=True)
    return loss, (diff, reduction)
