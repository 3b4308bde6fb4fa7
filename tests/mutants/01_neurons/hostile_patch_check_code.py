"""Wrong functions, and the real check() made a no-op by swapping its code object (same function object)."""
# lose: test_linear_forward test_linear_backward
# flags: patched module

# ---- linear_forward
import coursekit.grading
coursekit.grading.check.__code__ = (lambda name, fn, *, forward=None, hidden=False, forbid=(), quiet=False: None).__code__

def linear_forward(x, weight, bias=None):
    out = 2.0 * (x @ weight.T)
    if bias is not None:
        out = out + bias
    return out, (x, weight, bias)

# ---- linear_backward
def linear_backward(dout, cache):
    x, weight, bias = cache
    return dout @ weight * 0.5, np.zeros_like(weight), None if bias is None else np.zeros(weight.shape[0])
