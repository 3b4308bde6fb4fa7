"""Wrong derivative: dout * s instead of dout * s * (1 - s)."""
# lose: test_sigmoid_backward
# names: the (1 - s) factor forgotten

# ---- sigmoid_backward
def sigmoid_backward(dout, cache):
    return dout * cache
