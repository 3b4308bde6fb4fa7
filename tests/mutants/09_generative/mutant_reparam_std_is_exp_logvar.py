"""sigma = exp(logvar): logvar read as the log of the standard deviation, not of the variance (forward and backward)."""
# lose: test_reparameterize_forward test_reparameterize_backward
# names: sigma = exp(logvar) instead of exp(logvar / 2)

# ---- reparameterize_forward
def reparameterize_forward(mu, logvar, eps):
    std = np.exp(logvar)
    return mu + std * eps, (std, eps)

# ---- reparameterize_backward
def reparameterize_backward(dout, cache):
    std, eps = cache
    return dout.copy(), dout * eps * std
