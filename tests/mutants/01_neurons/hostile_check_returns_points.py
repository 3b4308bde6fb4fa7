"""Wrong functions, and check rebound to return a number (nbgrader reads a number in Out[] as partial credit)."""
# lose: test_linear_forward test_linear_backward
# flags: check rebound

# ---- linear_forward
check = lambda *args, **kwargs: 1.5

def linear_forward(x, weight, bias=None):
    out = 2.0 * (x @ weight.T)
    if bias is not None:
        out = out + bias
    return out, (x, weight, bias)

# ---- linear_backward
def linear_backward(dout, cache):
    x, weight, bias = cache
    return dout @ weight * 0.5, np.zeros_like(weight), None if bias is None else np.zeros(weight.shape[0])
