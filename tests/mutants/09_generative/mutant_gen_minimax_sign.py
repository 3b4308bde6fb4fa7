"""The minimax generator loss as +BCE(fake_logits, 0), the discriminator's fake term: its sign flipped (forward and backward)."""
# lose: test_gan_generator_loss_forward test_gan_generator_loss_backward
# names: the minimax loss's sign flipped

# ---- gan_generator_loss_forward
def gan_generator_loss_forward(fake_logits, non_saturating=True):
    z = fake_logits
    sign = -1.0 if non_saturating else 1.0  # BCE against 1 uses softplus(-z), against 0 softplus(z)
    loss = np.maximum(sign * z, 0.0) + np.log1p(np.exp(-np.abs(z)))
    return np.asarray(loss.mean()), (z, non_saturating)

# ---- gan_generator_loss_backward
def gan_generator_loss_backward(dout, cache):
    z, non_saturating = cache
    e = np.exp(-np.abs(z))
    sig = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return ((sig - 1.0) if non_saturating else sig) * dout / z.size
