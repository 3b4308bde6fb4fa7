"""z = mu + logvar * eps: the log-variance used as the standard deviation (forward and backward)."""
# lose: test_reparameterize_forward test_reparameterize_backward test_bernoulli_recon_backward_training
# names: logvar used as the standard deviation

# ---- reparameterize_forward
def reparameterize_forward(mu, logvar, eps):
    return mu + logvar * eps, eps

# ---- reparameterize_backward
def reparameterize_backward(dout, cache):
    return dout.copy(), dout * cache
