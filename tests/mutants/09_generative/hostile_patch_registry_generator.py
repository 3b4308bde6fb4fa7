"""The generator's flag ignored (always minimax), and the registry's reference and PyTorch side replaced by the same mistake."""
# lose: test_gan_generator_loss_forward test_gan_generator_loss_backward
# flags: patched module

# ---- gan_generator_loss_forward
import dataclasses
import coursekit.ops

def gan_generator_loss_forward(fake_logits, non_saturating=True):
    sp = np.maximum(fake_logits, 0.0) + np.log1p(np.exp(-np.abs(fake_logits)))
    return np.asarray(-sp.mean()), fake_logits

def gan_generator_loss_backward(dout, cache):
    e = np.exp(-np.abs(cache))
    return -np.where(cache >= 0, 1.0 / (1.0 + e), e / (1.0 + e)) * dout / cache.size

def _torch_wrong(fake_logits, non_saturating=True):
    import torch.nn.functional as F
    return -F.softplus(fake_logits).mean()

coursekit.ops.REGISTRY["gan_generator_loss"] = dataclasses.replace(
    coursekit.ops.REGISTRY["gan_generator_loss"], forward=gan_generator_loss_forward,
    backward=gan_generator_loss_backward, torch=_torch_wrong)

# ---- gan_generator_loss_backward
def gan_generator_loss_backward(dout, cache):
    e = np.exp(-np.abs(cache))
    return -np.where(cache >= 0, 1.0 / (1.0 + e), e / (1.0 + e)) * dout / cache.size
