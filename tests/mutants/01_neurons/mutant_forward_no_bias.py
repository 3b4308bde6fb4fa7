"""Wrong formula: the bias is never added."""
# lose: test_linear_forward
# names: the bias left out

# ---- linear_forward
def linear_forward(x, weight, bias=None):
    return x @ weight.T, (x, weight, bias)
