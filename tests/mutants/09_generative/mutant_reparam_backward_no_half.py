"""dlogvar = dout * eps * sigma: the 1/2 of d exp(logvar / 2) / dlogvar forgotten (the forward is right)."""
# lose: test_reparameterize_backward
# names: the 1/2 of d exp(logvar / 2) forgotten

# ---- reparameterize_backward
def reparameterize_backward(dout, cache):
    std, eps = cache
    return dout * np.ones_like(std), dout * eps * std
