"""KL without its 1/2, with the reference's code and torch's kl_divergence patched to make the same slip
(the kernel compares with answers computed before any student code ran: only the wrong forward loses)."""
# lose: test_gaussian_kl_forward
# flags: patched module

# ---- gaussian_kl_forward
import torch.distributions
import coursekit.reference.generative as ref

def gaussian_kl_forward(mu, logvar, reduction="mean"):
    elem = mu * mu + np.expm1(logvar) - logvar
    per_sample = elem.reshape(elem.shape[0], -1).sum(axis=1)
    if reduction != "none":
        per_sample = np.asarray(per_sample.mean() if reduction == "mean" else per_sample.sum())
    return per_sample, (mu, logvar, reduction)

_kl = torch.distributions.kl_divergence
torch.distributions.kl_divergence = lambda p, q: 2 * _kl(p, q)
ref.gaussian_kl_forward.__code__ = gaussian_kl_forward.__code__
