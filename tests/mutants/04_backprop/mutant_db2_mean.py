"""db2 = mean of dlogits over the batch instead of the sum: divides by N twice (right for a batch of one)."""
# lose: test_two_layer_mlp_backward
# names: db2 as a mean

# ---- two_layer_mlp_backward
def two_layer_mlp_backward(dloss, cache):
    x, w1, w2, z1, h, log_probs, target = cache
    n = x.shape[0]
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), target] -= 1.0
    dlogits = dlogits * (dloss / n)
    dh = dlogits @ w2
    dz1 = dh * (z1 > 0)
    return {"dlogits": dlogits, "dh": dh, "dz1": dz1, "dx": dz1 @ w1, "dw1": dz1.T @ x, "db1": dz1.sum(axis=0),
            "dw2": dlogits.T @ h, "db2": dlogits.mean(axis=0)}
