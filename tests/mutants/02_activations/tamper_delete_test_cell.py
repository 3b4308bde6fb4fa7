"""Wrong softmax backward, and its test cell deleted: nbgrader adds it back (add_missing_cells) and scores it."""
# lose: test_softmax_backward
# flags: cell missing

# ---- softmax_backward
def softmax_backward(dout, cache):
    out, dim = cache
    return dout * out

# ---- delete test_softmax_backward
