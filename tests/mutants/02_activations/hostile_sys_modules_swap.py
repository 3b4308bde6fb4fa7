"""Wrong leaky_relu, and sys.modules['coursekit.grading'] and coursekit.check swapped for fakes."""
# lose: test_leaky_relu_forward test_leaky_relu_backward
# flags: patched module

# ---- leaky_relu_forward
import sys
import types
import coursekit
fake = types.ModuleType("coursekit.grading")
fake.check = lambda *a, **k: None
sys.modules["coursekit.grading"] = fake
coursekit.check = fake.check
from coursekit import check

def leaky_relu_forward(x, negative_slope=0.01):
    return np.maximum(x, 0.0), (x, negative_slope)

# ---- leaky_relu_backward
def leaky_relu_backward(dout, cache):
    return dout
