"""Chapter 09 - generative models: the VAE's reparameterisation, Gaussian KL and Bernoulli reconstruction
terms, and the GAN's discriminator and generator losses, each forward beside its backward.

The VAE terms take a batch of N samples, input (N, *), and `reduction`: "none" gives the loss of each
sample, shape (N,), summed over every dim but the first; "sum" its total; "mean" (the default) its mean
over the batch, i.e. the per-sample sums averaged over N, which is what a VAE minimises (not the mean
over every element that `F.*_loss` takes). The ELBO's negative is then
`bernoulli_recon(logits, x) + gaussian_kl(mu, logvar)` with one reduction for both.

The GAN losses are means over each batch of discriminator logits and return a 0-d loss. Backwards take
`(dout, cache)` (dout shaped like the loss) and return gradients for the parameters' side only: targets
and the noise `eps` are data, not parameters.
"""
from __future__ import annotations

import numpy as np

from ._validate import array, same_shape
from .losses import REDUCTIONS, binary_cross_entropy_with_logits_backward, binary_cross_entropy_with_logits_forward


def _reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}, got {reduction!r}")
    return reduction


def _per_sample(loss):
    """A per-element loss (N, *) summed over every dim but the first: shape (N,)."""
    return loss.reshape(loss.shape[0], -1).sum(axis=1) if loss.ndim > 1 else loss


def _reduce_batch(per_sample, reduction):
    """(N,) per-sample losses as `reduction` says: themselves, their sum, or their mean over the batch."""
    if reduction == "none":
        return per_sample
    total = per_sample.sum()
    if reduction == "mean":
        n = per_sample.shape[0]
        total = total / n if n else total * np.nan  # the mean of no sample, as PyTorch: nan
    return np.asarray(total)


def _dper_element(dout, shape, reduction, dtype):
    """The upstream gradient of the reduced loss broadcast to the per-element shape `shape` (N, *)."""
    dout = array("dout", dout)
    n = shape[0]
    want = (n,) if reduction == "none" else ()
    if dout.shape != want:
        raise ValueError(f"dout must have the loss's shape {want} (reduction={reduction!r}, input {shape}), "
                         f"got {dout.shape}")
    if reduction == "none":
        g = dout.astype(dtype, copy=False)
    else:
        g = np.full(n, float(dout) / (max(n, 1) if reduction == "mean" else 1), dtype=dtype)
    return np.broadcast_to(g.reshape((n,) + (1,) * (len(shape) - 1)), shape)


def _same_as(name, dout, shape):
    dout = array(name, dout)
    if dout.shape != shape:
        raise ValueError(f"{name} must have the output's shape {shape}, got {dout.shape}")
    return dout


# ------------------------------------------------------------------ VAE

def reparameterize_forward(mu, logvar, eps):
    """z = mu + exp(logvar / 2) * eps: a sample of N(mu, exp(logvar)) that is differentiable in mu, logvar.

    mu, logvar, eps: same shape, (N, D) (any); eps ~ N(0, I) is drawn by the caller and passed in, so z
    is deterministic. Returns z (shape of mu) and a cache.
    """
    mu, logvar, eps = array("mu", mu), array("logvar", logvar), array("eps", eps)
    same_shape("mu", mu, "logvar", logvar)
    same_shape("mu", mu, "eps", eps)
    std = np.exp(0.5 * logvar)
    return mu + std * eps, (std, eps)


def reparameterize_backward(dout, cache):
    """dmu = dout, dlogvar = dout * eps * std / 2 (std = exp(logvar / 2)); eps gets no gradient.

    dout: shape of z. Returns (dmu, dlogvar), each shaped like mu.
    """
    std, eps = cache
    dout = _same_as("dout", dout, std.shape)
    return dout.astype(std.dtype, copy=True), 0.5 * dout * eps * std


def _gaussian_pair(mu, logvar):
    mu, logvar = array("mu", mu, min_ndim=1), array("logvar", logvar, min_ndim=1)
    same_shape("mu", mu, "logvar", logvar)
    return mu, logvar


def gaussian_kl_forward(mu, logvar, reduction="mean"):
    """KL(N(mu, exp(logvar)) || N(0, I)) of a diagonal Gaussian against the standard normal prior.

    Per element 1/2 (mu^2 + exp(logvar) - 1 - logvar), i.e. -1/2 (1 + logvar - mu^2 - exp(logvar)),
    summed over the latent dims of each sample (exp(logvar) - 1 as expm1, exact near logvar = 0).
    mu, logvar: (N, D) (or (N, *)). Returns (N,) for "none", a 0-d array for "sum" and "mean".
    """
    mu, logvar = _gaussian_pair(mu, logvar)
    elem = 0.5 * (mu * mu + np.expm1(logvar) - logvar)
    return _reduce_batch(_per_sample(elem), _reduction(reduction)), (mu, logvar, reduction)


def gaussian_kl_backward(dout, cache):
    """dmu = mu * g, dlogvar = (exp(logvar) - 1) / 2 * g, with g each sample's upstream gradient (/ N
    for the mean). dout: (N,) for "none", 0-d otherwise. Returns (dmu, dlogvar)."""
    mu, logvar, reduction = cache
    g = _dper_element(dout, mu.shape, reduction, mu.dtype)
    return mu * g, 0.5 * np.expm1(logvar) * g


def bernoulli_recon_forward(logits, target, reduction="mean"):
    """-log p(target | logits) of independent Bernoullis with p = sigmoid(logits): binary cross-entropy with
    logits (chapter 03's, stable at |logits| = 1000), summed over every dim but the first per sample.

    logits: (N, D) (or (N, *)); target: same shape, values in [0, 1] (pixels). Returns (N,) for "none",
    a 0-d array for "sum" (F.binary_cross_entropy_with_logits's sum) and "mean" (over the batch).
    """
    logits, target = array("logits", logits, min_ndim=1), array("target", target)
    same_shape("logits", logits, "target", target)
    elem, cache = binary_cross_entropy_with_logits_forward(logits, target, reduction="none")
    return _reduce_batch(_per_sample(elem), _reduction(reduction)), (cache, reduction)


def bernoulli_recon_backward(dout, cache):
    """dlogits = (sigmoid(logits) - target) * g, g each sample's upstream gradient (/ N for the mean).
    dout: (N,) for "none", 0-d otherwise. Returns dlogits (shape of logits); target gets none."""
    bce_cache, reduction = cache
    logits = bce_cache[0]
    g = _dper_element(dout, logits.shape, reduction, logits.dtype)
    return binary_cross_entropy_with_logits_backward(g, bce_cache)


# ------------------------------------------------------------------ GAN

def _bce_mean(logits, label):
    """Mean binary cross-entropy with logits of `logits` against a constant `label` (1 real, 0 fake)."""
    return binary_cross_entropy_with_logits_forward(logits, np.full_like(logits, label), reduction="mean")


def gan_discriminator_loss_forward(real_logits, fake_logits):
    """The discriminator's loss: -mean log D(x) - mean log(1 - D(G(z))), D = sigmoid(logits), i.e.
    F.binary_cross_entropy_with_logits of the real logits against 1 plus of the fake ones against 0.

    real_logits: (N, 1) (any shape); fake_logits: (M, 1) (any shape); each term is its own batch's mean.
    Returns a 0-d loss and a cache.
    """
    real, fake = array("real_logits", real_logits), array("fake_logits", fake_logits)
    loss_real, cache_real = _bce_mean(real, 1.0)
    loss_fake, cache_fake = _bce_mean(fake, 0.0)
    return np.asarray(loss_real + loss_fake), (cache_real, cache_fake)


def gan_discriminator_loss_backward(dout, cache):
    """dreal_logits = (sigmoid(real) - 1) * dout / N, dfake_logits = sigmoid(fake) * dout / M.
    dout: 0-d. Returns (dreal_logits, dfake_logits)."""
    cache_real, cache_fake = cache
    dreal = binary_cross_entropy_with_logits_backward(dout, cache_real)
    return dreal, binary_cross_entropy_with_logits_backward(dout, cache_fake)


def gan_generator_loss_forward(fake_logits, non_saturating=True):
    """The generator's loss on the discriminator's logits for its fakes, D = sigmoid(fake_logits):

    non_saturating=True: -mean log D(G(z)), BCE with logits against 1 (strong gradients while D rejects
    the fakes); False: the minimax mean log(1 - D(G(z))) = -(BCE against 0), which saturates there.
    fake_logits: (M, 1) (any shape). Returns a 0-d loss and a cache.
    """
    if not isinstance(non_saturating, (bool, np.bool_)):
        raise TypeError(f"non_saturating must be a bool, got {type(non_saturating).__name__} {non_saturating!r}")
    fake = array("fake_logits", fake_logits)
    if non_saturating:
        loss, cache = _bce_mean(fake, 1.0)
        return loss, (cache, 1.0)
    loss, cache = _bce_mean(fake, 0.0)
    return np.asarray(-loss), (cache, -1.0)


def gan_generator_loss_backward(dout, cache):
    """non-saturating: (sigmoid(fake) - 1) * dout / M; minimax: -sigmoid(fake) * dout / M.
    dout: 0-d. Returns dfake_logits."""
    bce_cache, sign = cache
    grad = binary_cross_entropy_with_logits_backward(dout, bce_cache)
    return grad if sign > 0 else -grad
