"""Wrong sigmoid, and check()'s comparison patched to report every array as equal."""
# lose: test_sigmoid_forward test_sigmoid_backward
# flags: patched module

# ---- sigmoid_forward
import types
import coursekit.compare
import coursekit.grading.checker
always = lambda got, want, **k: types.SimpleNamespace(ok=True, max_abs=0.0)
coursekit.grading.checker.compare = always
coursekit.compare.compare = always

def sigmoid_forward(x):
    return 1.0 / (1.0 + np.exp(x)), x

# ---- sigmoid_backward
def sigmoid_backward(dout, cache):
    return dout * 0.25
