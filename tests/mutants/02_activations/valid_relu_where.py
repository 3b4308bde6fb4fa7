"""relu with np.where in both passes."""

# ---- relu_forward
def relu_forward(x):
    return np.where(x > 0, x, 0.0), x

# ---- relu_backward
def relu_backward(dout, cache):
    return np.where(cache > 0, dout, 0.0)
