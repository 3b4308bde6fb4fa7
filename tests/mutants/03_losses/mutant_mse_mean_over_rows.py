"""The mean divided by len(input) (the rows), not input.size, in both passes: right only for 1-D inputs."""
# lose: test_mse_loss_forward test_mse_loss_backward
# names: the mean over the rows only

# ---- mse_loss_forward
def mse_loss_forward(input, target, reduction="mean"):
    diff = input - target
    loss = diff * diff
    if reduction == "mean":
        loss = np.asarray(loss.sum() / len(input))
    elif reduction == "sum":
        loss = np.asarray(loss.sum())
    return loss, (diff, reduction)

# ---- mse_loss_backward
def mse_loss_backward(dout, cache):
    diff, reduction = cache
    dinput = 2.0 * diff * dout
    if reduction == "mean":
        dinput = dinput / len(diff)
    return dinput
