"""Both GAN losses with np.logaddexp, the gradients with sigmoid(x) = (1 + tanh(x / 2)) / 2 (stable everywhere)."""

# ---- gan_discriminator_loss_forward
def gan_discriminator_loss_forward(real_logits, fake_logits):
    loss = np.mean(np.logaddexp(0.0, -real_logits)) + np.mean(np.logaddexp(0.0, fake_logits))
    return np.asarray(loss), (real_logits, fake_logits)

# ---- gan_discriminator_loss_backward
def gan_discriminator_loss_backward(dout, cache):
    real, fake = cache
    # d/dr softplus(-r) = -sigmoid(-r) = sigmoid(r) - 1 = (tanh(r / 2) - 1) / 2
    return dout * 0.5 * (np.tanh(0.5 * real) - 1.0) / real.size, dout * 0.5 * (1.0 + np.tanh(0.5 * fake)) / fake.size

# ---- gan_generator_loss_forward
def gan_generator_loss_forward(fake_logits, non_saturating=True):
    if non_saturating:
        return np.asarray(np.logaddexp(0.0, -fake_logits).mean()), ("ns", fake_logits)
    return np.asarray(-np.logaddexp(0.0, fake_logits).mean()), ("minimax", fake_logits)

# ---- gan_generator_loss_backward
def gan_generator_loss_backward(dout, cache):
    kind, z = cache
    sig = 0.5 * (1.0 + np.tanh(0.5 * z))
    local = sig - 1.0 if kind == "ns" else -sig
    return local * (dout / z.size)
