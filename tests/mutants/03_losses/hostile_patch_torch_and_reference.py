"""BCE without brackets, with the reference's code and torch's binary_cross_entropy patched to make the same slip
(the kernel compares with answers computed before any student code ran: only the wrong forward loses)."""
# lose: test_binary_cross_entropy_forward
# flags: patched module

# ---- binary_cross_entropy_forward
import torch
import torch.nn.functional
import coursekit.reference.losses as ref

def binary_cross_entropy_forward(input, target, reduction="mean"):
    p, t = input, target
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), -100.0)
        log_1mp = np.maximum(np.log(1.0 - p), -100.0)
    loss = -t * log_p + (1.0 - t) * log_1mp
    if reduction != "none":
        loss = np.asarray(loss.mean() if reduction == "mean" else loss.sum())
    return loss, (p, t, reduction)

def _torch_slip(input, target, weight=None, reduction="mean"):
    loss = -target * input.log().clamp(min=-100) + (1 - target) * (1 - input).log().clamp(min=-100)
    return loss if reduction == "none" else (loss.mean() if reduction == "mean" else loss.sum())

ref.binary_cross_entropy_forward.__code__ = binary_cross_entropy_forward.__code__
torch.nn.functional.binary_cross_entropy = _torch_slip
