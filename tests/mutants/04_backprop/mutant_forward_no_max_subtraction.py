"""Softmax without subtracting the row maximum: exp(logits) overflows for logits ~ 1000, the loss is NaN."""
# lose: test_two_layer_mlp_forward test_two_layer_mlp_backward
# names: softmax without the row max subtracted

# ---- two_layer_mlp_forward
def two_layer_mlp_forward(x, w1, b1, w2, b2, target):
    n = x.shape[0]
    z1 = x @ w1.T + b1
    h = np.maximum(z1, 0.0)
    logits = h @ w2.T + b2
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    loss = np.asarray(-log_probs[np.arange(n), target].mean())
    return loss, (x, w1, w2, z1, h, log_probs, target)
