"""BCE backward without the mean's 1/n, and its test cell deleted: nbgrader adds it back (add_missing_cells) and scores it."""
# lose: test_binary_cross_entropy_backward
# flags: cell missing

# ---- binary_cross_entropy_backward
def binary_cross_entropy_backward(dout, cache):
    p, t, reduction = cache
    return (p - t) / np.maximum(p * (1.0 - p), 1e-12) * dout

# ---- delete test_binary_cross_entropy_backward
