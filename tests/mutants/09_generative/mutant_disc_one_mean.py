"""One mean over the real and fake logits together: half the loss for batches of one size (forward and backward)."""
# lose: test_gan_discriminator_loss_forward test_gan_discriminator_loss_backward
# names: one mean over both batches

# ---- gan_discriminator_loss_forward
def gan_discriminator_loss_forward(real_logits, fake_logits):
    z = np.concatenate([real_logits.ravel(), fake_logits.ravel()])
    t = np.concatenate([np.ones(real_logits.size), np.zeros(fake_logits.size)])
    loss = np.maximum(z, 0.0) - z * t + np.log1p(np.exp(-np.abs(z)))
    return np.asarray(loss.mean()), (z, t, real_logits.shape, fake_logits.shape)

# ---- gan_discriminator_loss_backward
def gan_discriminator_loss_backward(dout, cache):
    z, t, real_shape, fake_shape = cache
    e = np.exp(-np.abs(z))
    grad = (np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)) - t) * dout / z.size
    k = int(np.prod(real_shape))
    return grad[:k].reshape(real_shape), grad[k:].reshape(fake_shape)
