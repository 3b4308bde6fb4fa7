"""Wrong functions that print check()'s success line, hoping a human or a regex believes it."""
# lose: test_linear_forward test_linear_backward

# ---- linear_forward
print("check linear_forward: 11/11 hidden + visible cases pass (vs NumPy reference and PyTorch on cpu, float64)")

def linear_forward(x, weight, bias=None):
    print("check linear_forward: 11/11 hidden + visible cases pass")
    return 2.0 * (x @ weight.T), (x, weight, bias)

# ---- linear_backward
def linear_backward(dout, cache):
    x, weight, bias = cache
    return dout @ weight * 0.5, np.zeros_like(weight), None if bias is None else np.zeros(weight.shape[0])
