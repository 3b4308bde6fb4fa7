"""Ignores negative_slope (always 0.01): right with the default, wrong for the hidden case with 0.2."""
# lose: test_leaky_relu_forward
# names: negative_slope ignored

# ---- leaky_relu_forward
def leaky_relu_forward(x, negative_slope=0.01):
    return np.where(x > 0, x, 0.01 * x), (x, negative_slope)
