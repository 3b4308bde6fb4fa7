"""The discriminator's backward without dout: the local gradients alone (right only when dout = 1)."""
# lose: test_gan_discriminator_loss_backward
# names: the upstream gradient left out

# ---- gan_discriminator_loss_backward
def gan_discriminator_loss_backward(dout, cache):
    real, fake = cache
    sig_real = 0.5 * (1.0 + np.tanh(0.5 * real))
    sig_fake = 0.5 * (1.0 + np.tanh(0.5 * fake))
    return (sig_real - 1.0) / real.size, sig_fake / fake.size
