"""Wrong functions, and the registry entry replaced so the 'reference' and 'PyTorch' are the same wrong functions."""
# lose: test_linear_forward test_linear_backward
# flags: patched module

# ---- linear_forward
import dataclasses
import coursekit.ops

def linear_forward(x, weight, bias=None):
    out = 2.0 * (x @ weight.T)
    if bias is not None:
        out = out + bias
    return out, (x, weight, bias)

# ---- linear_backward
def linear_backward(dout, cache):
    x, weight, bias = cache
    return dout @ weight * 0.5, np.zeros_like(weight), None if bias is None else np.zeros(weight.shape[0])

def _wrong_torch(x, weight, bias=None):
    out = 2.0 * (x @ weight.T)
    return out if bias is None else out + bias

coursekit.ops.REGISTRY["linear"] = dataclasses.replace(
    coursekit.ops.REGISTRY["linear"], forward=linear_forward, backward=linear_backward, torch=_wrong_torch)
