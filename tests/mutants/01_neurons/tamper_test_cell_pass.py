"""Wrong forward, and its locked test cell edited to `pass`: nbgrader restores it and scores it."""
# lose: test_linear_forward
# flags: test cell edited
# names: the bias left out

# ---- linear_forward
def linear_forward(x, weight, bias=None):
    return x @ weight.T, (x, weight, bias)

# ---- test_linear_forward
pass
