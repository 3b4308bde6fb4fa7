"""dw1 and db1 computed from dh instead of dz1 (the ReLU gate skipped for the parameters; dz1 and dx are right)."""
# lose: test_two_layer_mlp_backward
# names: dw1 and db1 not gated by the ReLU

# ---- two_layer_mlp_backward
def two_layer_mlp_backward(dloss, cache):
    x, w1, w2, z1, h, log_probs, target = cache
    n = x.shape[0]
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), target] -= 1.0
    dlogits = dlogits * (dloss / n)
    dh = dlogits @ w2
    dz1 = dh * (z1 > 0)
    return {"dlogits": dlogits, "dh": dh, "dz1": dz1, "dx": dz1 @ w1, "dw1": dh.T @ x, "db1": dh.sum(axis=0),
            "dw2": dlogits.T @ h, "db2": dlogits.sum(axis=0)}
