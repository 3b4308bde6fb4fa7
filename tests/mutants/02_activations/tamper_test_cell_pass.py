"""Wrong relu forward, and its locked test cell edited to `pass`: nbgrader restores it and scores it."""
# lose: test_relu_forward
# flags: test cell edited

# ---- relu_forward
def relu_forward(x):
    return np.abs(x), x

# ---- test_relu_forward
pass
