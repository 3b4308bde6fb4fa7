"""Modifies x in place (x[x < 0] = 0): right values, but the caller's array is changed."""
# lose: test_relu_forward test_relu_backward

# ---- relu_forward
def relu_forward(x):
    x[x < 0] = 0.0
    return x, x
