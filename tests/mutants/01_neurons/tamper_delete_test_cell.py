"""Wrong forward, and its test cell deleted: nbgrader adds it back (add_missing_cells) and scores it."""
# lose: test_linear_forward
# flags: cell missing

# ---- linear_forward
def linear_forward(x, weight, bias=None):
    return x @ weight.T, (x, weight, bias)

# ---- delete test_linear_forward
