"""Forgot the transpose: x @ weight fails for non-square layers (the backward then has no cache)."""
# lose: test_linear_forward test_linear_backward

# ---- linear_forward
def linear_forward(x, weight, bias=None):
    out = x @ weight
    if bias is not None:
        out = out + bias
    return out, (x, weight, bias)
