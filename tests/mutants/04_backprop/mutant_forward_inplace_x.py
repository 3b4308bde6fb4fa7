"""Forward centres the features in place (x -= x.mean(axis=0)): the caller's x changes, and the loss with it."""
# lose: test_two_layer_mlp_forward test_two_layer_mlp_backward

# ---- two_layer_mlp_forward
def two_layer_mlp_forward(x, w1, b1, w2, b2, target):
    n = x.shape[0]
    x -= x.mean(axis=0)
    z1 = x @ w1.T + b1
    h = np.maximum(z1, 0.0)
    logits = h @ w2.T + b2
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = np.asarray(-log_probs[np.arange(n), target].mean())
    return loss, (x, w1, w2, z1, h, log_probs, target)
