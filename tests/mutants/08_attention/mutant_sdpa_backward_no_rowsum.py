"""Softmax backward without the row-sum term: dS = P * dP (the diagonal of the Jacobian only)."""
# lose: test_scaled_dot_product_attention_backward
# names: the softmax Jacobian's diagonal only

# ---- scaled_dot_product_attention_backward
def scaled_dot_product_attention_backward(dout, cache):
    query, key, value, p, scale = cache
    ds = p * (dout @ np.swapaxes(value, -1, -2))
    return (ds @ key) * scale, (np.swapaxes(ds, -1, -2) @ query) * scale, np.swapaxes(p, -1, -2) @ dout
