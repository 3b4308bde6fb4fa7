"""dlogits = softmax - onehot without the 1/N of the mean: every gradient N times too large (right for a batch of one)."""
# lose: test_two_layer_mlp_backward
# names: the 1/N of the mean forgotten

# ---- two_layer_mlp_backward
def two_layer_mlp_backward(dloss, cache):
    x, w1, w2, z1, h, log_probs, target = cache
    n = x.shape[0]
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), target] -= 1.0
    dlogits = dlogits * dloss
    dh = dlogits @ w2
    dz1 = dh * (z1 > 0)
    return {"dlogits": dlogits, "dh": dh, "dz1": dz1, "dx": dz1 @ w1, "dw1": dz1.T @ x, "db1": dz1.sum(axis=0),
            "dw2": dlogits.T @ h, "db2": dlogits.sum(axis=0)}
