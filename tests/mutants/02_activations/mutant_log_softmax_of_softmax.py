"""log(softmax(x)) computed literally: -inf where the softmax underflows (gaps of ~1000)."""
# lose: test_log_softmax_forward
# names: log(softmax(x)) computed literally

# ---- log_softmax_forward
def log_softmax_forward(x, dim=-1):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    out = np.log(e / e.sum(axis=dim, keepdims=True))
    return out, (out, dim)
