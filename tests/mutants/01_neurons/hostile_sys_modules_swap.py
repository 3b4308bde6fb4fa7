"""Wrong functions, and sys.modules['coursekit.grading'] / coursekit.check replaced by fakes that accept anything."""
# lose: test_linear_forward test_linear_backward
# flags: patched module

# ---- linear_forward
import sys
import types
import coursekit
fake = types.ModuleType("coursekit.grading")
fake.check = lambda *a, **k: print("check: all cases pass")
fake.regrade = lambda *a, **k: {}
sys.modules["coursekit.grading"] = fake
coursekit.check = fake.check
coursekit.grading = fake
from coursekit import check

def linear_forward(x, weight, bias=None):
    out = 2.0 * (x @ weight.T)
    if bias is not None:
        out = out + bias
    return out, (x, weight, bias)

# ---- linear_backward
def linear_backward(dout, cache):
    x, weight, bias = cache
    return dout @ weight * 0.5, np.zeros_like(weight), None if bias is None else np.zeros(weight.shape[0])
