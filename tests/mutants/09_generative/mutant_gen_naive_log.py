"""The generator's losses as np.log(sigmoid(z)) literally: inf at z = -1000 (the backward is right)."""
# lose: test_gan_generator_loss_forward
# names: log(sigmoid(logits)) computed literally

# ---- gan_generator_loss_forward
def gan_generator_loss_forward(fake_logits, non_saturating=True):
    d = 1.0 / (1.0 + np.exp(-fake_logits))
    loss = -np.log(d).mean() if non_saturating else np.log(1.0 - d).mean()
    return np.asarray(loss), (fake_logits, non_saturating)
