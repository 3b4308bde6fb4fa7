"""Wrong axis: normalises over axis 0 whatever dim says."""
# lose: test_softmax_forward test_softmax_backward
# names: a reduction over axis 0 whatever dim says

# ---- softmax_forward
def softmax_forward(x, dim=-1):
    e = np.exp(x - x.max(axis=0, keepdims=True))
    out = e / e.sum(axis=0, keepdims=True)
    return out, (out, dim)
