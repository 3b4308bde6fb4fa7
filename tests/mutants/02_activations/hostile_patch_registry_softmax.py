"""Softmax over the wrong axis, and the registry's softmax replaced by the same mistake (reference and PyTorch)."""
# lose: test_softmax_forward test_softmax_backward
# flags: patched module

# ---- softmax_forward
import dataclasses
import coursekit.ops

def softmax_forward(x, dim=-1):
    e = np.exp(x - x.max(axis=0, keepdims=True))
    out = e / e.sum(axis=0, keepdims=True)
    return out, (out, dim)

def _torch_wrong(x, dim=-1):
    return x.softmax(0)

coursekit.ops.REGISTRY["softmax"] = dataclasses.replace(
    coursekit.ops.REGISTRY["softmax"], forward=softmax_forward, torch=_torch_wrong)
