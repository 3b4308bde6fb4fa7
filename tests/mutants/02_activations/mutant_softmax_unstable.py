"""No max subtraction: exp(1000) = inf, inf / inf = NaN."""
# lose: test_softmax_forward test_softmax_backward
# names: exp without the max subtracted

# ---- softmax_forward
def softmax_forward(x, dim=-1):
    e = np.exp(x)
    out = e / e.sum(axis=dim, keepdims=True)
    return out, (out, dim)
