"""dz1 = dh, then dz1[z1 <= 0] = 0 in place: dz1 is right but the returned dh is gated too."""
# lose: test_two_layer_mlp_backward
# names: dh gated in place

# ---- two_layer_mlp_backward
def two_layer_mlp_backward(dloss, cache):
    x, w1, w2, z1, h, log_probs, target = cache
    n = x.shape[0]
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), target] -= 1.0
    dlogits = dlogits * (dloss / n)
    dh = dlogits @ w2
    dz1 = dh
    dz1[z1 <= 0] = 0.0
    return {"dlogits": dlogits, "dh": dh, "dz1": dz1, "dx": dz1 @ w1, "dw1": dz1.T @ x, "db1": dz1.sum(axis=0),
            "dw2": dlogits.T @ h, "db2": dlogits.sum(axis=0)}
