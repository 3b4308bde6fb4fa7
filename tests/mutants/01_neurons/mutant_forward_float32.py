"""Casts the output to float32: values within 1e-7 relative, but the dtype differs from PyTorch's float64."""
# lose: test_linear_forward
# names: a float32 result

# ---- linear_forward
def linear_forward(x, weight, bias=None):
    out = x @ weight.T
    if bias is not None:
        out = out + bias
    return out.astype(np.float32), (x, weight, bias)
