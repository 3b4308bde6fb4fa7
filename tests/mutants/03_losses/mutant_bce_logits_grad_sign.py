"""Gradient sign flipped: (t - sigmoid(z)) * dout, gradient ascent on the loss."""
# lose: test_binary_cross_entropy_with_logits_backward
# names: the gradient's sign flipped

# ---- binary_cross_entropy_with_logits_backward
def binary_cross_entropy_with_logits_backward(dout, cache):
    z, t, reduction = cache
    e = np.exp(-np.abs(z))
    sig = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    dinput = (t - sig) * dout
    if reduction == "mean":
        dinput = dinput / z.size
    return dinput
