"""Wrong functions, and a new cell with forged 'locked' nbgrader metadata that patches the grader (instructor cells come from the gradebook)."""
# lose: test_linear_forward test_linear_backward
# flags: check rebound, patched module

# ---- insert locked before linear_forward
import types
import coursekit.grading.checker
coursekit.grading.checker.compare = lambda got, want, **k: types.SimpleNamespace(ok=True, max_abs=0.0)
check = lambda *a, **k: None

# ---- linear_forward
def linear_forward(x, weight, bias=None):
    out = 2.0 * (x @ weight.T)
    if bias is not None:
        out = out + bias
    return out, (x, weight, bias)

# ---- linear_backward
def linear_backward(dout, cache):
    x, weight, bias = cache
    return dout @ weight * 0.5, np.zeros_like(weight), None if bias is None else np.zeros(weight.shape[0])
