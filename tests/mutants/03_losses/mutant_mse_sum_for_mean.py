"""reduction="mean" computed as the sum (the backward is right)."""
# lose: test_mse_loss_forward
# names: the sum where reduction='mean'

# ---- mse_loss_forward
def mse_loss_forward(input, target, reduction="mean"):
    diff = input - target
    loss = diff * diff
    if reduction in ("mean", "sum"):
        loss = np.asarray(loss.sum())
    return loss, (diff, reduction)
