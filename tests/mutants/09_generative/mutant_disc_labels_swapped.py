"""The discriminator's labels swapped, real 0 and fake 1: it is rewarded for being fooled (forward and backward)."""
# lose: test_gan_discriminator_loss_forward test_gan_discriminator_loss_backward
# names: the discriminator's labels swapped

# ---- gan_discriminator_loss_forward
def gan_discriminator_loss_forward(real_logits, fake_logits):
    sp = lambda x: np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))
    return np.asarray(sp(real_logits).mean() + sp(-fake_logits).mean()), (real_logits, fake_logits)

# ---- gan_discriminator_loss_backward
def gan_discriminator_loss_backward(dout, cache):
    real, fake = cache
    sig = lambda x: np.where(x >= 0, 1.0 / (1.0 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1.0 + np.exp(-np.abs(x))))
    return sig(real) * dout / real.size, (sig(fake) - 1.0) * dout / fake.size
