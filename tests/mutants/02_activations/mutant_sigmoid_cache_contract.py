"""Right forward values, but it caches x while its backward expects sigmoid(x): the backward cell loses."""
# lose: test_sigmoid_backward
# names: x cached where the backward expects sigmoid(x)

# ---- sigmoid_forward
def sigmoid_forward(x):
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return out, x
