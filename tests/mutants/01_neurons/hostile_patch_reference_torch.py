"""Wrong forward, and both yardsticks bent to match (the reference's code object, torch's F.linear): the bent F.linear also fails the right backward in the kernel."""
# lose: test_linear_forward test_linear_backward
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
