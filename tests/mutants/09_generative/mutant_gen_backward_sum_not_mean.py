"""The generator's backward without the 1/M of the batch mean: the gradient of the summed loss (no catalogued name)."""
# lose: test_gan_generator_loss_backward

# ---- gan_generator_loss_backward
def gan_generator_loss_backward(dout, cache):
    z, non_saturating = cache
    e = np.exp(-np.abs(z))
    sig = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return (sig - 1.0 if non_saturating else -sig) * dout
