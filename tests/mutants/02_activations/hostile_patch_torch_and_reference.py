"""Wrong tanh, with torch.Tensor.tanh and the reference's code patched to agree with it."""
# lose: test_tanh_forward test_tanh_backward
# flags: patched module

# ---- tanh_forward
import torch
import coursekit.reference.activations as ref

def tanh_forward(x):
    out = np.clip(x, -1.0, 1.0)
    return out, out

ref.tanh_forward.__code__ = tanh_forward.__code__
torch.Tensor.tanh = lambda self: self.clamp(-1.0, 1.0)
