"""leaky_relu as max(x, slope * x) (right for 0 <= slope < 1), the local gradient cached."""

# ---- leaky_relu_forward
def leaky_relu_forward(x, negative_slope=0.01):
    return np.maximum(x, negative_slope * x), np.where(x > 0, 1.0, negative_slope)

# ---- leaky_relu_backward
def leaky_relu_backward(dout, cache):
    return dout * cache
