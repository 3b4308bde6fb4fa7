"""Only works for 2-D x: flattens every input to (N, D), so a 3-D or 1-D input gets the wrong shape."""
# lose: test_linear_forward
# names: the leading dimensions flattened away

# ---- linear_forward
def linear_forward(x, weight, bias=None):
    x2 = x.reshape(-1, weight.shape[1])
    out = x2 @ weight.T
    if bias is not None:
        out = out + bias
    return out, (x, weight, bias)
