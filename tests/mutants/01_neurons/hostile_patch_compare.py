"""Wrong functions, and the comparison check() uses patched to report every array as equal."""
# lose: test_linear_forward test_linear_backward
# flags: patched module

# ---- linear_forward
import types
import coursekit.compare
import coursekit.grading.checker
always = lambda got, want, **k: types.SimpleNamespace(ok=True, max_abs=0.0)
coursekit.grading.checker.compare = always
coursekit.compare.compare = always

def linear_forward(x, weight, bias=None):
    out = 2.0 * (x @ weight.T)
    if bias is not None:
        out = out + bias
    return out, (x, weight, bias)

# ---- linear_backward
def linear_backward(dout, cache):
    x, weight, bias = cache
    return dout @ weight * 0.5, np.zeros_like(weight), None if bias is None else np.zeros(weight.shape[0])
