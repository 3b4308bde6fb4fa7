"""Chapter 09, generative models: the VAE's reparameterisation, Gaussian KL and Bernoulli reconstruction
terms, and the GAN's discriminator and generator losses."""
from __future__ import annotations

import numpy as np

from ..reference import generative as gen
from ..reference import losses
from .spec import Case, OpSpec, as_neg, backward_mistake, forgot_dout, mistake, register, sign_flipped

# ---------------------------------------------------------------- PyTorch sides


def _torch_reparameterize(mu, logvar, eps):
    return mu + (0.5 * logvar).exp() * eps


def _torch_batch(loss, reduction):
    """A per-element loss (N, *) summed per sample, then reduced over the batch as the reference does."""
    per_sample = loss.reshape(loss.shape[0], -1).sum(1) if loss.dim() > 1 else loss
    return {"none": per_sample, "sum": per_sample.sum(), "mean": per_sample.mean()}[reduction]


def _torch_gaussian_kl(mu, logvar, reduction="mean"):
    import torch
    from torch.distributions import Normal, kl_divergence

    prior = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    return _torch_batch(kl_divergence(Normal(mu, (0.5 * logvar).exp()), prior), reduction)


def _torch_bernoulli_recon(logits, target, reduction="mean"):
    import torch.nn.functional as F

    return _torch_batch(F.binary_cross_entropy_with_logits(logits, target, reduction="none"), reduction)


def _torch_gan_discriminator_loss(real_logits, fake_logits):
    import torch
    import torch.nn.functional as F

    return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))


def _torch_gan_generator_loss(fake_logits, non_saturating=True):
    import torch
    import torch.nn.functional as F

    if non_saturating:
        return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
    return -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))


# ---------------------------------------------------------------- cases


def _reparameterize_cases(rng, hidden):
    n = rng.standard_normal

    def c(label, mu, logvar, eps):
        return Case(label, {"mu": mu, "logvar": logvar, "eps": eps})

    if not hidden:
        return [
            c("random (4, 3)", n((4, 3)), n((4, 3)), n((4, 3))),
            c("batch of one (1, 5)", n((1, 5)), n((1, 5)), n((1, 5))),
            c("zero eps: z = mu (3, 4)", n((3, 4)), n((3, 4)), np.zeros((3, 4))),
            c("logvar very negative (-1000) and positive (+10) (2, 3)", n((2, 3)),
              np.array([[-1000.0, -30.0, 0.0], [10.0, 4.0, -5.0]]), n((2, 3))),
            c("non-square 3-D (2, 3, 4)", n((2, 3, 4)), n((2, 3, 4)), n((2, 3, 4))),
        ]
    return [
        c("1-D (6,)", n(6), n(6), n(6)),
        c("wide latent (2, 32)", n((2, 32)), 2 * n((2, 32)), n((2, 32))),
        c("logvar = 0: std 1 (3, 3)", n((3, 3)), np.zeros((3, 3)), n((3, 3))),
        c("large mu (+-1000) (3, 2)", 1000 * n((3, 2)), n((3, 2)), n((3, 2))),
        c("4-D (2, 2, 2, 3)", n((2, 2, 2, 3)), n((2, 2, 2, 3)), n((2, 2, 2, 3))),
    ]


def _kl_cases(rng, hidden):
    n = rng.standard_normal

    def c(label, mu, logvar, reduction):
        return Case(f"{label}, {reduction}", {"mu": mu, "logvar": logvar}, {"reduction": reduction})

    if not hidden:
        return [
            c("random (4, 3)", n((4, 3)), n((4, 3)), "mean"),
            c("batch of one (1, 5)", n((1, 5)), n((1, 5)), "sum"),
            c("non-square (6, 2)", n((6, 2)), n((6, 2)), "none"),
            c("the prior itself: mu = 0, logvar = 0 (3, 4)", np.zeros((3, 4)), np.zeros((3, 4)), "mean"),
            c("logvar very negative (-200..-50), |mu| ~ 100 (2, 3)", 100 * n((2, 3)),
              rng.uniform(-200.0, -50.0, (2, 3)), "mean"),
        ]
    return [
        c("logvar very positive (+5..+8) (3, 2)", n((3, 2)), rng.uniform(5.0, 8.0, (3, 2)), "sum"),
        c("one latent dim per sample (5,)", n(5), n(5), "none"),
        c("3-D (2, 3, 2)", n((2, 3, 2)), n((2, 3, 2)), "mean"),
        c("wide latent (2, 64)", n((2, 64)), n((2, 64)), "mean"),
        c("one sample at the prior, one far (2, 4)", np.array([[0.0] * 4, [3.0, -2.0, 1.0, 4.0]]),
          np.array([[0.0] * 4, [-3.0, 2.0, 0.5, -1.0]]), "none"),
    ]


def _labels01(rng, shape):
    return (rng.random(shape) < 0.5).astype(np.float64)


def _recon_cases(rng, hidden):
    n = rng.standard_normal

    def c(label, logits, target, reduction):
        return Case(f"{label}, {reduction}", {"logits": logits, "target": target}, {"reduction": reduction})

    if not hidden:
        return [
            c("random (4, 6), binary target", 3 * n((4, 6)), _labels01(rng, (4, 6)), "mean"),
            c("batch of one (1, 8)", 3 * n((1, 8)), _labels01(rng, (1, 8)), "sum"),
            c("grey-level targets in [0, 1] (3, 5)", 2 * n((3, 5)), rng.random((3, 5)), "none"),
            c("logits at +-1000 and 0 (3, 3)", np.array([[1000.0, -1000.0, 1000.0], [-1000.0, 1000.0, 0.0],
                                                         [1000.0, -1000.0, -1000.0]]),
              np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [0.0, 1.0, 1.0]]), "none"),
            c("logits 0: p = 1/2 (2, 3)", np.zeros((2, 3)), _labels01(rng, (2, 3)), "mean"),
        ]
    return [
        c("3-D images (2, 3, 4)", 3 * n((2, 3, 4)), rng.random((2, 3, 4)), "mean"),
        c("1-D (7,)", 3 * n(7), _labels01(rng, 7), "sum"),
        c("wide (2, 40)", 3 * n((2, 40)), _labels01(rng, (2, 40)), "mean"),
        c("confident logits x10, soft targets (3, 4)", 10 * n((3, 4)), rng.random((3, 4)), "sum"),
        c("logits at +-1000 (2, 2)", np.array([[1000.0, -1000.0], [-1000.0, -1000.0]]),
          np.array([[0.0, 1.0], [0.0, 0.0]]), "mean"),
    ]


def _disc_cases(rng, hidden):
    n = rng.standard_normal

    def c(label, real, fake):
        return Case(label, {"real_logits": real, "fake_logits": fake})

    if not hidden:
        return [
            c("random (4, 1) and (4, 1)", 2 * n((4, 1)), 2 * n((4, 1))),
            c("batch of one (1, 1) and (1, 1)", n((1, 1)), n((1, 1))),
            c("batches of different sizes (6, 1) and (3, 1)", 2 * n((6, 1)), 2 * n((3, 1))),
            c("logits at +-1000 and 0 (3, 1)", np.array([[1000.0], [-1000.0], [0.0]]),
              np.array([[-1000.0], [1000.0], [0.0]])),
        ]
    return [
        c("1-D (5,) and (7,)", 2 * n(5), 2 * n(7)),
        c("D sure and right: real +30, fake -30 (3, 1)", 30 + n((3, 1)), -30 + n((3, 1))),
        c("D fooled: real -5, fake +5 (3, 1)", -5 + n((3, 1)), 5 + n((3, 1))),
        c("wide batches (32, 1) and (16, 1)", 3 * n((32, 1)), 3 * n((16, 1))),
    ]


def _gen_cases(rng, hidden):
    n = rng.standard_normal

    def c(label, fake, non_saturating):
        kind = "non-saturating" if non_saturating else "minimax"
        return Case(f"{label}, {kind}", {"fake_logits": fake}, {"non_saturating": non_saturating})

    big = np.array([[1000.0], [-1000.0], [0.0], [3.0]])
    if not hidden:
        return [
            c("random (4, 1)", 2 * n((4, 1)), True),
            c("batch of one (1, 1)", n((1, 1)), False),
            c("random (5, 1)", 2 * n((5, 1)), False),
            c("logits at +-1000 and 0 (4, 1)", big, True),
            c("D rejects the fakes: logits ~ -8 (3, 1)", -8 + n((3, 1)), True),
        ]
    return [
        c("1-D (6,)", 2 * n(6), True),
        c("logits at +-1000 and 0 (4, 1)", big, False),
        c("D rejects the fakes: logits ~ -8 (3, 1)", -8 + n((3, 1)), False),
        c("wide batch (32, 1)", 3 * n((32, 1)), False),
        c("non-square (2, 3)", 2 * n((2, 3)), True),
    ]


# ---------------------------------------------------------------- known mistakes

_bce = losses.binary_cross_entropy_with_logits_forward


def _batch(elem, reduction):
    """A per-element loss (N, *) summed per sample, then reduced over the batch (as the reference)."""
    per_sample = elem.reshape(elem.shape[0], -1).sum(axis=1) if elem.ndim > 1 else elem
    if reduction == "none":
        return per_sample
    return np.asarray(per_sample.mean() if reduction == "mean" else per_sample.sum())


def _latent_size(x):
    """The number of elements of one sample of a batch (N, *)."""
    return x[0].size if x.ndim > 1 else 1


def _divided(forward, backward, only_mean=False):
    """A forward and backward divided by the size of a sample (for "mean" alone when `only_mean`)."""

    def fwd(x, *args, reduction="mean"):
        out, cache = forward(x, *args, reduction=reduction)
        d = _latent_size(x) if reduction == "mean" or not only_mean else 1
        return np.asarray(out / d), (cache, d)

    def bwd(dout, cache):
        inner, d = cache
        grads = backward(dout, inner)
        return tuple(g / d for g in grads) if isinstance(grads, tuple) else grads / d

    return fwd, bwd


def _unscaled_batch_mean():
    def grads(spec, case, dout, cache):
        kwargs = {**case.kwargs, "reduction": "sum"} if case.kwargs.get("reduction") == "mean" else case.kwargs
        return spec.backward(dout, spec.forward(*spec.args(case), **kwargs)[1])

    return backward_mistake("the batch mean's 1/N forgotten in the backward", "with reduction='mean' the "
                            "forward divides the summed loss by the batch size N: so does each gradient.", grads)


def _reparam_variance(mu, logvar, eps):
    std = np.exp(logvar)
    return mu + std * eps, (std, eps)


def _reparam_variance_grad(dout, cache):
    std, eps = cache
    return dout.copy(), dout * eps * std


def _reparam_logvar_as_std(mu, logvar, eps):
    return mu + logvar * eps, (logvar, eps)


def _reparam_from_z(spec, case, dout, cache):
    std, eps = cache
    return dout.copy(), 0.5 * dout * (case.inputs["mu"] + std * eps)


_REPARAM_MISTAKES = (
    mistake("sigma = exp(logvar) instead of exp(logvar / 2)", "logvar is the log of the variance sigma^2: the "
            "standard deviation is exp(logvar / 2) = exp(0.5 * logvar), and dz/dlogvar = eps * sigma / 2.",
            forward=_reparam_variance, backward=_reparam_variance_grad, carry=True),
    mistake("logvar used as the standard deviation", "z = mu + sigma * eps with sigma = exp(logvar / 2): the "
            "encoder outputs the log of the variance, not sigma itself.", forward=_reparam_logvar_as_std,
            backward=lambda dout, cache: (dout.copy(), dout * cache[1]), carry=True),
    backward_mistake("the 1/2 of d exp(logvar / 2) forgotten", "d/dlogvar exp(logvar / 2) = exp(logvar / 2) / 2: "
                     "dlogvar = dout * eps * std / 2.",
                     lambda spec, case, dout, cache: (dout.copy(), dout * cache[1] * cache[0])),
    backward_mistake("z used where z - mu is meant", "dz/dlogvar = eps * std / 2 = (z - mu) / 2, not z / 2: "
                     "use eps * std (from the cache), without mu.", _reparam_from_z),
    forgot_dout("dz/dmu = 1 and dz/dlogvar = eps * std / 2"),
)


def _kl_negated(mu, logvar, reduction="mean"):
    out, cache = gen.gaussian_kl_forward(mu, logvar, reduction)
    return np.asarray(-out), cache


def _kl_doubled(mu, logvar, reduction="mean"):
    out, cache = gen.gaussian_kl_forward(mu, logvar, reduction)
    return np.asarray(2 * out), cache


def _kl_no_minus_one(spec, case, dout, cache):
    mu, logvar, reduction = cache
    dmu, dlogvar = gen.gaussian_kl_backward(dout, cache)
    g = gen.gaussian_kl_backward(dout, (np.ones_like(mu), logvar, reduction))[0]  # each element's dout
    return dmu, dlogvar + 0.5 * g


_KL_LATENT_MEAN = _divided(gen.gaussian_kl_forward, gen.gaussian_kl_backward)
_KL_MISTAKES = (
    mistake("the KL's sign flipped", "KL = -1/2 sum(1 + logvar - mu^2 - exp(logvar)) is >= 0 (0 at mu = 0, "
            "logvar = 0): keep the minus in front; minimising the negative would push the posterior away.",
            forward=_kl_negated, backward=lambda dout, cache: as_neg(gen.gaussian_kl_backward(dout, cache)),
            carry=True),
    mistake("the mean over the latent dims, not the sum", "the KL of a diagonal Gaussian is the sum over its "
            "latent dims of the per-dim KLs: sum over every dim but the batch (axis 0), then reduce over the "
            "batch.", forward=_KL_LATENT_MEAN[0], backward=_KL_LATENT_MEAN[1], carry=True),
    mistake("the factor 1/2 left out", "KL = 1/2 (mu^2 + exp(logvar) - 1 - logvar) per latent dim: keep the 1/2 "
            "(and in the gradients: mu and (exp(logvar) - 1) / 2).", forward=_kl_doubled,
            backward=lambda dout, cache: tuple(2 * g for g in gen.gaussian_kl_backward(dout, cache)), carry=True),
    backward_mistake("the -1 of dKL/dlogvar left out", "d/dlogvar 1/2 (exp(logvar) - 1 - logvar) = (exp(logvar) "
                     "- 1) / 2: the -logvar term gives the -1/2.", _kl_no_minus_one),
    _unscaled_batch_mean(),
    forgot_dout("mu and (exp(logvar) - 1) / 2"),
)


def _log_sigmoid_naive(z):
    """log(sigmoid(z)) and log(1 - sigmoid(z)) computed literally: -inf (and nan after 0 * -inf) at |z| = 1000."""
    p = 1.0 / (1.0 + np.exp(-z))
    return np.log(p), np.log(1.0 - p)


def _recon_naive(logits, target, reduction="mean"):
    log_p, log_q = _log_sigmoid_naive(logits)
    return _batch(-(target * log_p + (1.0 - target) * log_q), reduction), None


def _recon_no_abs(logits, target, reduction="mean"):
    return _batch(np.maximum(logits, 0.0) - logits * target + np.log(1.0 + np.exp(-logits)), reduction), None


_RECON_EVERY_ELEMENT = _divided(gen.bernoulli_recon_forward, gen.bernoulli_recon_backward, only_mean=True)
_RECON_MISTAKES = (
    mistake("log(sigmoid(logits)) computed literally", "sigmoid(1000) is 1.0 and log(1 - 1.0) = -inf (times a "
            "target of 1 - 1 = 0: nan): use chapter 03's max(z, 0) - z t + log(1 + exp(-|z|)).",
            forward=_recon_naive),
    mistake("log(1 + exp(-z)) without the absolute value", "exp(-z) overflows for z = -1000: "
            "max(z, 0) - z t + log(1 + exp(-|z|)) (np.abs inside the exp).", forward=_recon_no_abs),
    mistake("the mean over every element, not per sample", "the reconstruction term is a log-likelihood per "
            "sample: sum over every dim but the batch (axis 0), then 'mean' averages those sums over the "
            "batch, not over every element as F.binary_cross_entropy_with_logits's 'mean' does.",
            forward=_RECON_EVERY_ELEMENT[0], backward=_RECON_EVERY_ELEMENT[1], carry=True),
    _unscaled_batch_mean(),
    forgot_dout("sigmoid(logits) - target"),
    sign_flipped(),
)


def _disc_labelled(real_label, fake_label):
    def forward(real_logits, fake_logits):
        loss_real, cache_real = _bce(real_logits, np.full_like(real_logits, real_label))
        loss_fake, cache_fake = _bce(fake_logits, np.full_like(fake_logits, fake_label))
        return np.asarray(loss_real + loss_fake), (cache_real, cache_fake)

    return forward


def _disc_negated(real_logits, fake_logits):
    out, cache = gen.gan_discriminator_loss_forward(real_logits, fake_logits)
    return np.asarray(-out), cache


def _disc_one_mean(real_logits, fake_logits):
    logits = np.concatenate([real_logits.ravel(), fake_logits.ravel()])
    labels = np.concatenate([np.ones(real_logits.size), np.zeros(fake_logits.size)]).astype(logits.dtype)
    loss, cache = _bce(logits, labels)
    return loss, (cache, real_logits.shape, fake_logits.shape)


def _disc_one_mean_grad(dout, cache):
    bce_cache, real_shape, fake_shape = cache
    g = losses.binary_cross_entropy_with_logits_backward(dout, bce_cache)
    k = int(np.prod(real_shape))
    return g[:k].reshape(real_shape), g[k:].reshape(fake_shape)


def _disc_naive(real_logits, fake_logits):
    return np.asarray(-_log_sigmoid_naive(real_logits)[0].mean() - _log_sigmoid_naive(fake_logits)[1].mean()), None


_DISC_MISTAKES = (
    mistake("the discriminator's labels swapped", "the discriminator calls real samples 1 and fakes 0: "
            "BCE(real_logits, 1) + BCE(fake_logits, 0); yours rewards it for being fooled.",
            forward=_disc_labelled(0.0, 1.0), carry=True),
    mistake("the objective maximised, not its negative minimised", "D maximises log D(x) + log(1 - D(G(z))): "
            "the loss to minimise is its negative, -mean log D(x) - mean log(1 - D(G(z))), which is >= 0.",
            forward=_disc_negated, backward=lambda dout, cache: as_neg(gen.gan_discriminator_loss_backward(
                dout, cache)), carry=True),
    mistake("one mean over both batches", "each term is the mean over its own batch: "
            "mean BCE(real_logits, 1) + mean BCE(fake_logits, 0), not one mean over the real and fake logits "
            "together (half as large for batches of one size).", forward=_disc_one_mean,
            backward=_disc_one_mean_grad, carry=True),
    mistake("log(sigmoid(logits)) computed literally", "sigmoid(-1000) is 0 and log(0) = -inf: use BCE with "
            "logits, max(z, 0) - z t + log(1 + exp(-|z|)), which never overflows.", forward=_disc_naive),
    forgot_dout("the mean's (sigmoid(logits) - label) / N"),
)


def _gen_as(flag):
    """The generator's loss as if non_saturating=flag were given, whatever the case asks."""

    def forward(fake_logits, non_saturating=True):
        return gen.gan_generator_loss_forward(fake_logits, flag)

    return forward


def _gen_bce_against(label, when):
    """+BCE(fake_logits, label) where the case's non_saturating is `when`, the right loss elsewhere."""

    def forward(fake_logits, non_saturating=True):
        if non_saturating != when:
            return gen.gan_generator_loss_forward(fake_logits, non_saturating)
        loss, cache = _bce(fake_logits, np.full_like(fake_logits, label))
        return loss, (cache, 1.0)

    return forward


def _gen_naive(fake_logits, non_saturating=True):
    log_p, log_q = _log_sigmoid_naive(fake_logits)
    return np.asarray(-log_p.mean() if non_saturating else log_q.mean()), None


_GEN_MISTAKES = (
    mistake("the minimax loss where the non-saturating one is asked", "non_saturating=True asks for "
            "-mean log D(G(z)) = BCE(fake_logits, 1), whose gradient stays strong while D rejects the fakes; "
            "mean log(1 - D(G(z))) is the minimax loss of non_saturating=False.", forward=_gen_as(False),
            carry=True),
    mistake("the non-saturating loss where the minimax one is asked", "non_saturating=False asks for the minimax "
            "loss mean log(1 - D(G(z))) = -BCE(fake_logits, 0); read the flag.", forward=_gen_as(True), carry=True),
    mistake("the minimax loss's sign flipped", "the generator minimises log(1 - D(G(z))), i.e. -BCE(fake_logits, "
            "0); +BCE(fake_logits, 0) is the discriminator's fake term, minimised it helps D.",
            forward=_gen_bce_against(0.0, when=False), carry=True),
    mistake("the fakes labelled 0 in the non-saturating loss", "the generator wants D to call its fakes real: "
            "-mean log D(G(z)) = BCE(fake_logits, 1), label 1, not the discriminator's label 0.",
            forward=_gen_bce_against(0.0, when=True), carry=True),
    mistake("log(sigmoid(logits)) computed literally", "sigmoid(-1000) is 0 and log(0) = -inf: use BCE with "
            "logits, max(z, 0) - z t + log(1 + exp(-|z|)), which never overflows.", forward=_gen_naive),
    forgot_dout("the mean's (sigmoid(logits) - 1) / M"),
)


# ---------------------------------------------------------------- the registry

def _bench_normal(*names):
    return lambda rng: Case("bench (512, 1024)", {k: rng.standard_normal((512, 1024)) for k in names})


register(OpSpec(
    name="reparameterize", chapter="09_generative",
    forward=gen.reparameterize_forward, backward=gen.reparameterize_backward, torch=_torch_reparameterize,
    inputs=("mu", "logvar", "eps"), differentiable=("mu", "logvar"), cases=_reparameterize_cases,
    bench=_bench_normal("mu", "logvar", "eps"), mistakes=_REPARAM_MISTAKES, hints={
        "forward": "z = mu + exp(logvar / 2) * eps: logvar is log sigma^2, so sigma = exp(0.5 * logvar).",
        "backward": "dmu = dout; dlogvar = dout * eps * sigma / 2 (keep sigma in the cache); eps gets none."},
))
register(OpSpec(
    name="gaussian_kl", chapter="09_generative",
    forward=gen.gaussian_kl_forward, backward=gen.gaussian_kl_backward, torch=_torch_gaussian_kl,
    inputs=("mu", "logvar"), cases=_kl_cases,
    bench=lambda rng: Case("bench (512, 1024), mean", {"mu": rng.standard_normal((512, 1024)),
                                                       "logvar": rng.standard_normal((512, 1024))},
                           {"reduction": "mean"}),
    mistakes=_KL_MISTAKES, hints={
        "forward": "1/2 (mu^2 + exp(logvar) - 1 - logvar) per element, summed over every dim but the batch; "
                   "'mean' averages those per-sample sums over the batch, 'none' returns them (N,).",
        "backward": "dmu = mu * g, dlogvar = (exp(logvar) - 1) / 2 * g, g each sample's dout (/ N for 'mean')."},
))
register(OpSpec(
    name="bernoulli_recon", chapter="09_generative",
    forward=gen.bernoulli_recon_forward, backward=gen.bernoulli_recon_backward, torch=_torch_bernoulli_recon,
    inputs=("logits", "target"), differentiable=("logits",), cases=_recon_cases,
    bench=lambda rng: Case("bench (512, 1024), mean", {"logits": rng.standard_normal((512, 1024)),
                                                       "target": rng.random((512, 1024))}, {"reduction": "mean"}),
    mistakes=_RECON_MISTAKES, hints={
        "forward": "binary cross-entropy with logits, max(z, 0) - z t + log(1 + exp(-|z|)), summed over every "
                   "dim but the batch; 'mean' averages those per-sample sums over the batch.",
        "backward": "(sigmoid(logits) - target) * g, g each sample's dout (/ N for 'mean'); a stable sigmoid."},
))
register(OpSpec(
    name="gan_discriminator_loss", chapter="09_generative",
    forward=gen.gan_discriminator_loss_forward, backward=gen.gan_discriminator_loss_backward,
    torch=_torch_gan_discriminator_loss, inputs=("real_logits", "fake_logits"), cases=_disc_cases,
    bench=lambda rng: Case("bench (4096, 1) and (4096, 1)", {"real_logits": rng.standard_normal((4096, 1)),
                                                            "fake_logits": rng.standard_normal((4096, 1))}),
    mistakes=_DISC_MISTAKES, hints={
        "forward": "mean BCE with logits of real_logits against 1 plus mean of fake_logits against 0, each "
                   "over its own batch; the stable form max(z, 0) - z t + log(1 + exp(-|z|)).",
        "backward": "(sigmoid(real) - 1) * dout / N and sigmoid(fake) * dout / M."},
))
register(OpSpec(
    name="gan_generator_loss", chapter="09_generative",
    forward=gen.gan_generator_loss_forward, backward=gen.gan_generator_loss_backward,
    torch=_torch_gan_generator_loss, inputs=("fake_logits",), cases=_gen_cases,
    bench=lambda rng: Case("bench (4096, 1), non-saturating", {"fake_logits": rng.standard_normal((4096, 1))},
                           {"non_saturating": True}),
    mistakes=_GEN_MISTAKES, hints={
        "forward": "non_saturating=True: mean BCE with logits against 1, -mean log D(G(z)); False: the minimax "
                   "mean log(1 - D(G(z))) = -(mean BCE against 0).",
        "backward": "non-saturating: (sigmoid(z) - 1) * dout / M; minimax: -sigmoid(z) * dout / M."},
))
