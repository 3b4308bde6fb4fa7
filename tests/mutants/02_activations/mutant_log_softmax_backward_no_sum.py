"""Wrong backward: dout - softmax(x), the sum of dout along dim forgotten."""
# lose: test_log_softmax_backward
# names: the sum of dout forgotten

# ---- log_softmax_backward
def log_softmax_backward(dout, cache):
    out, dim = cache
    return dout - np.exp(out)
