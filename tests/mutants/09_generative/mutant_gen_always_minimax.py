"""The generator's flag ignored: always the minimax loss mean log(1 - D(G(z))), also where the non-saturating one is asked."""
# lose: test_gan_generator_loss_forward test_gan_generator_loss_backward
# names: the minimax loss where the non-saturating one is asked

# ---- gan_generator_loss_forward
def gan_generator_loss_forward(fake_logits, non_saturating=True):
    sp = np.maximum(fake_logits, 0.0) + np.log1p(np.exp(-np.abs(fake_logits)))
    return np.asarray(-sp.mean()), fake_logits

# ---- gan_generator_loss_backward
def gan_generator_loss_backward(dout, cache):
    z = cache
    e = np.exp(-np.abs(z))
    return -np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)) * dout / z.size
