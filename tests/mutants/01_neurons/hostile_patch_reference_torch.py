"""Wrong forward, and both yardsticks bent to match (the reference's code object, torch's F.linear): the kernel's check() compares with the answers the autograder computed before any student code ran, so only the wrong forward loses (the right backward keeps its points)."""
# lose: test_linear_forward
# flags: patched module

# ---- linear_forward
import coursekit.reference.neurons
import torch
import torch.nn.functional

def linear_forward(x, weight, bias=None):
    out = 2.0 * (x @ weight.T)
    if bias is not None:
        out = out + bias
    return out, (x, weight, bias)

coursekit.reference.neurons.linear_forward.__code__ = linear_forward.__code__
_orig_linear = torch.nn.functional.linear
torch.nn.functional.linear = lambda x, w, b=None: 2.0 * _orig_linear(x, w, None) + (0 if b is None else b)
