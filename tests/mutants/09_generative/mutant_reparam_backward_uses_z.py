"""dlogvar = dout * z / 2 from a cached z: right only where mu = 0 (it should be (z - mu) / 2 = eps * sigma / 2)."""
# lose: test_reparameterize_backward test_bernoulli_recon_backward_training
# names: z used where z - mu is meant

# ---- reparameterize_forward
def reparameterize_forward(mu, logvar, eps):
    z = mu + np.exp(0.5 * logvar) * eps
    return z, z

# ---- reparameterize_backward
def reparameterize_backward(dout, cache):
    z = cache
    return dout * np.ones_like(z), 0.5 * dout * z
