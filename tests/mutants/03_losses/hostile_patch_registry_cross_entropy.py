"""cross_entropy that ignores ignore_index, and the registry's reference and PyTorch replaced by the same mistake."""
# lose: test_cross_entropy_forward test_cross_entropy_backward
# flags: patched module

# ---- cross_entropy_forward
import dataclasses
import coursekit.ops

def cross_entropy_forward(input, target, reduction="mean", ignore_index=-100):
    n = input.shape[0]
    safe = np.where(target < 0, 0, target)
    shifted = input - input.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), safe]
    if reduction != "none":
        loss = np.asarray(loss.mean() if reduction == "mean" else loss.sum())
    return loss, (log_probs, safe, reduction)

def cross_entropy_backward(dout, cache):
    log_probs, safe, reduction = cache
    n = log_probs.shape[0]
    dx = np.exp(log_probs)
    dx[np.arange(n), safe] -= 1.0
    g = dout / n if reduction == "mean" else dout
    return dx * (g[:, None] if np.ndim(g) else g)

def _torch_wrong(input, target, reduction="mean", ignore_index=-100):
    import torch.nn.functional as F
    return F.cross_entropy(input, target.clamp(min=0), reduction=reduction)

coursekit.ops.REGISTRY["cross_entropy"] = dataclasses.replace(
    coursekit.ops.REGISTRY["cross_entropy"], forward=cross_entropy_forward, backward=cross_entropy_backward,
    torch=_torch_wrong)

# ---- cross_entropy_backward
def cross_entropy_backward(dout, cache):
    log_probs, safe, reduction = cache
    n = log_probs.shape[0]
    dx = np.exp(log_probs)
    dx[np.arange(n), safe] -= 1.0
    g = dout / n if reduction == "mean" else dout
    return dx * (g[:, None] if np.ndim(g) else g)
