"""The noise drawn inside the function, ignoring the caller's eps: z is a sample, but not the one the caller
(and the grader) asked for, so it cannot be compared, and the training run's gradient estimate is another."""
# lose: test_reparameterize_forward test_reparameterize_backward

# ---- reparameterize_forward
def reparameterize_forward(mu, logvar, eps):
    std = np.exp(0.5 * logvar)
    noise = np.random.default_rng().standard_normal(np.shape(mu))
    return mu + std * noise, (std, noise)

# ---- reparameterize_backward
def reparameterize_backward(dout, cache):
    std, noise = cache
    return dout.copy(), 0.5 * dout * noise * std
