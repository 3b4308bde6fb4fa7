"""The backward forgets the mean's 1/n: gradients n times too large."""
# lose: test_mse_loss_backward
# names: the mean's 1/n forgotten in the backward

# ---- mse_loss_backward
def mse_loss_backward(dout, cache):
    diff, reduction = cache
    return 2.0 * diff * dout
