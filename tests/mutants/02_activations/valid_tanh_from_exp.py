"""tanh from exponentials of -2|x| only (stable), and its derivative from the cached output."""

# ---- tanh_forward
def tanh_forward(x):
    e = np.exp(-2.0 * np.abs(x))
    out = np.sign(x) * (1.0 - e) / (1.0 + e)
    return out, out
