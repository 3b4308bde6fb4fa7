"""sigma as np.sqrt(np.exp(logvar)), and dlogvar from the cached z and mu as (z - mu) / 2 (not z / 2)."""

# ---- reparameterize_forward
def reparameterize_forward(mu, logvar, eps):
    sigma = np.sqrt(np.exp(logvar))
    z = mu + sigma * eps
    return z, {"z": z, "mu": mu}

# ---- reparameterize_backward
def reparameterize_backward(dout, cache):
    dlogvar = dout * (cache["z"] - cache["mu"]) / 2.0
    return np.array(dout, dtype=float, copy=True), dlogvar
