"""Chapter 09 - generative models composed of the reference ops: an autoencoder, a VAE and a GAN.

    autoencoder:  x -> encoder MLP -> z (the bottleneck) -> decoder MLP -> sigmoid -> x_hat
    VAE:          x -> encoder MLP -> [mu, logvar] -> z = mu + exp(logvar / 2) eps -> decoder MLP -> logits
                  loss = bernoulli_recon(logits, x) + gaussian_kl(mu, logvar)  (per-sample sums, batch mean)
    GAN:          generator MLP z -> x_fake; discriminator MLP x -> logit; alternating Adam updates

Nothing here is new arithmetic: linear (chapter 01), relu and sigmoid (02), the MLP of chapter 05's
`train` module, Adam (05), and chapter 09's ops (`generative`): reparameterisation, Gaussian KL,
Bernoulli reconstruction, the GAN losses. Each model's parameters are a dict of two lists
`[W1, b1, W2, b2, ...]` (W: (out_features, in_features)), the parameters of two `nn.Sequential`s of
`nn.Linear` and `nn.ReLU`: "encoder"/"decoder" or "generator"/"discriminator". The VAE's encoder ends
in 2 * latent features, split into mu (the first half) and logvar (the second).

`train_vae(params, X, recipe, loss=..., reparameterize=...)` takes a (forward, backward) pair for the
VAE loss (`make_vae_loss` builds one from a student's `bernoulli_recon` and `gaussian_kl` pairs) and
for the reparameterisation, so a student's own ops can train the model (the grader's `train_check`);
`vae_elbo` scores any VAE's parameters with the reference ops.
"""
from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass

import numpy as np

from . import activations as A
from . import generative as G
from ._validate import array, generator, integer
from .losses import mse_loss_backward, mse_loss_forward
from .neurons import linear_backward
from .optim import Optimizer
from .train import init_mlp, mlp_forward

__all__ = ["VAE_LOSS", "GenRecipe", "ae_backward", "ae_forward", "ae_loss", "decode", "encode", "gan_losses",
           "generate", "init_autoencoder", "init_gan", "init_vae", "make_vae_loss", "mode_coverage", "ring_centers",
           "train_ae", "train_gan", "train_vae", "vae_backward", "vae_decode", "vae_elbo", "vae_encode", "vae_forward",
           "vae_loss", "vae_loss_backward", "vae_loss_forward"]


# ------------------------------------------------------------------ the recipe and small helpers

@dataclass(frozen=True)
class GenRecipe:
    """The budget of a run: `steps` Adam steps (`lr`, `betas`), each on `batch_size` rows drawn at random
    (with the noise eps or z drawn from the same `seed`), and for the GAN a snapshot of the generator's
    samples every `every` steps. The same recipe on the same data and parameters gives the same run."""

    steps: int = 2000
    batch_size: int = 64
    lr: float = 1e-3
    betas: tuple = (0.9, 0.999)
    seed: int = 0
    every: int = 50

    def __post_init__(self):
        for name in ("steps", "batch_size", "seed", "every"):
            v = getattr(self, name)
            low = 0 if name in ("steps", "seed") else 1
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < low:
                raise ValueError(f"{name} must be an int >= {low}, got {v!r}")
        if isinstance(self.lr, bool) or not isinstance(self.lr, numbers.Real) or not 0 < self.lr < math.inf:
            raise ValueError(f"lr must be a number > 0, got {self.lr!r}")
        if not isinstance(self.betas, (tuple, list)) or len(self.betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {self.betas!r}")


def _mlp_backward(dout, cache):
    """Gradients of `train.mlp_forward` AND its input: (dx, [dW1, db1, ...])."""
    caches, activation = cache
    act_backward = getattr(A, f"{activation}_backward")
    grads, d = [None] * (2 * len(caches)), dout
    for i in reversed(range(len(caches))):
        c_lin, c_act = caches[i]
        if c_act is not None:
            d = act_backward(d, c_act)
        d, grads[2 * i], grads[2 * i + 1] = linear_backward(d, c_lin)
    return d, grads


def _pair_params(params, names):
    if not isinstance(params, dict) or set(params) != set(names):
        raise ValueError(f"params must be a dict with the lists {' and '.join(map(repr, names))}, got "
                         f"{type(params).__name__}{sorted(params) if isinstance(params, dict) else ''}")
    return [list(params[n]) for n in names]


def _data(X, features=None):
    X = array("X", X, ndim=2)
    if len(X) == 0 or (features is not None and X.shape[1] != features):
        raise ValueError(f"X must be (N, {features or 'features'}) with N >= 1, got {X.shape}")
    return X


class _Adam:
    """Adam over a dict of parameter lists, one `Optimizer` per list (so they can step apart: the GAN)."""

    def __init__(self, params, recipe):
        self.opts = {k: Optimizer("adam", lr=recipe.lr, betas=tuple(recipe.betas)) for k in params}

    def step(self, params, grads, keys=None):
        out = dict(params)
        for k in keys or params:
            out[k] = self.opts[k].step(params[k], grads[k])
        return out


# ------------------------------------------------------------------ autoencoder

def init_autoencoder(in_features=64, hidden=32, bottleneck=8, rng=None):
    """Encoder in_features -> hidden -> bottleneck, decoder bottleneck -> hidden -> in_features,
    weights and biases as nn.Linear draws them. Returns {"encoder": [...], "decoder": [...]}."""
    rng = generator(rng)
    sizes = [integer(n, v, 1) for n, v in (("in_features", in_features), ("hidden", hidden),
                                            ("bottleneck", bottleneck))]
    return {"encoder": init_mlp(sizes, "linear_default", rng=rng),
            "decoder": init_mlp(sizes[::-1], "linear_default", rng=rng)}


def encode(params, x):
    """The bottleneck code z (N, bottleneck) of the autoencoder for x (N, in_features)."""
    enc, _ = _pair_params(params, ("encoder", "decoder"))
    return mlp_forward(enc, _data(x))[0]


def decode(params, z):
    """The autoencoder's reconstruction sigmoid(decoder(z)) (N, in_features) for codes z (N, bottleneck)."""
    _, dec = _pair_params(params, ("encoder", "decoder"))
    return A.sigmoid_forward(mlp_forward(dec, array("z", z, ndim=2))[0])[0]


def ae_forward(params, x):
    """Reconstruction sigmoid(decoder(encoder(x))) (N, in_features), values in (0, 1), and a cache."""
    enc, dec = _pair_params(params, ("encoder", "decoder"))
    z, c_enc = mlp_forward(enc, _data(x))
    logits, c_dec = mlp_forward(dec, z)
    out, c_sig = A.sigmoid_forward(logits)
    return out, (c_enc, c_dec, c_sig)


def ae_backward(dout, cache):
    """Gradients of `ae_forward` for an upstream gradient dout (N, in_features): a dict like params."""
    c_enc, c_dec, c_sig = cache
    dz, g_dec = _mlp_backward(A.sigmoid_backward(dout, c_sig), c_dec)
    _, g_enc = _mlp_backward(dz, c_enc)
    return {"encoder": g_enc, "decoder": g_dec}


def ae_loss(params, x):
    """Squared reconstruction error summed over each row, mean over the batch: (loss float, grads dict)."""
    out, cache = ae_forward(params, x)
    n = out.shape[0]
    loss, c_mse = mse_loss_forward(out, x, reduction="sum")
    return float(loss) / n, ae_backward(mse_loss_backward(np.full_like(loss, 1.0 / n), c_mse), cache)


def _batches(n, recipe):
    """(steps, batch_size) row indices drawn with replacement from n rows, and the run's generator."""
    rng = np.random.default_rng(recipe.seed)
    return rng.integers(0, n, size=(recipe.steps, recipe.batch_size)), rng


def train_ae(params, X, recipe=GenRecipe(), callback=None):
    """Train the autoencoder on X (N, in_features) with Adam by `recipe`. callback(step, loss) after each
    step. Returns (new params, history): "loss" per step, "time" (s)."""
    X = _data(X)
    idx, _ = _batches(len(X), recipe)
    opt, hist, start = _Adam(params, recipe), {"loss": [], "time": 0.0}, time.perf_counter()
    for step, rows in enumerate(idx):
        loss, grads = ae_loss(params, X[rows])
        params = opt.step(params, grads)
        hist["loss"].append(loss)
        if callback is not None:
            callback(step, loss)
    hist["time"] = time.perf_counter() - start
    return params, hist


# ------------------------------------------------------------------ VAE

def init_vae(in_features=64, hidden=64, latent=2, rng=None):
    """Encoder in_features -> hidden -> 2 latent (mu, logvar), decoder latent -> hidden -> in_features
    (Bernoulli logits), as nn.Linear draws them. Returns {"encoder": [...], "decoder": [...]}."""
    rng = generator(rng)
    d, h, k = (integer(n, v, 1) for n, v in (("in_features", in_features), ("hidden", hidden), ("latent", latent)))
    return {"encoder": init_mlp((d, h, 2 * k), "linear_default", rng=rng),
            "decoder": init_mlp((k, h, d), "linear_default", rng=rng)}


def vae_encode(params, x):
    """(mu, logvar), each (N, latent), of the VAE's encoder for x (N, in_features), and a cache."""
    enc, _ = _pair_params(params, ("encoder", "decoder"))
    h, cache = mlp_forward(enc, _data(x))
    k = h.shape[1] // 2
    return (h[:, :k], h[:, k:]), cache


def vae_decode(params, z):
    """Pixel probabilities sigmoid(decoder(z)) (N, in_features) for latent codes z (N, latent)."""
    _, dec = _pair_params(params, ("encoder", "decoder"))
    return A.sigmoid_forward(mlp_forward(dec, array("z", z, ndim=2))[0])[0]


def vae_forward(params, x, eps, reparameterize=None):
    """The VAE on x (N, in_features) with the noise eps (N, latent) ~ N(0, I): returns
    (logits (N, in_features), mu, logvar) and a cache. reparameterize: a (forward, backward) pair
    like `generative.reparameterize_*` (default: those)."""
    rep_f, rep_b = reparameterize or (G.reparameterize_forward, G.reparameterize_backward)
    (mu, logvar), c_enc = vae_encode(params, x)
    z, c_rep = rep_f(mu, logvar, eps)
    logits, c_dec = mlp_forward(params["decoder"], np.asarray(z))
    return (logits, mu, logvar), (c_enc, c_rep, c_dec, rep_b)


def vae_backward(dlogits, dmu, dlogvar, cache):
    """Gradients of `vae_forward`: dlogits (N, in_features) and the loss's own dmu, dlogvar (N, latent)
    (the KL's); the gradients that reach mu and logvar through z are added. Returns a dict like params."""
    c_enc, c_rep, c_dec, rep_b = cache
    dz, g_dec = _mlp_backward(dlogits, c_dec)
    dmu_z, dlogvar_z = rep_b(dz, c_rep)
    _, g_enc = _mlp_backward(np.concatenate([dmu + dmu_z, dlogvar + dlogvar_z], axis=1), c_enc)
    return {"encoder": g_enc, "decoder": g_dec}


def make_vae_loss(bernoulli_recon=None, gaussian_kl=None):
    """A (forward, backward) VAE loss pair built from two (forward, backward) pairs with the signatures
    of `generative.bernoulli_recon_*` and `generative.gaussian_kl_*` (default: those), e.g. a
    student's: forward(logits, x, mu, logvar) -> (0-d, cache), backward(dout, cache) -> (dlogits, dmu,
    dlogvar). For `train_vae(..., loss=make_vae_loss(...))`."""
    rec_f, rec_b = bernoulli_recon or (G.bernoulli_recon_forward, G.bernoulli_recon_backward)
    kl_f, kl_b = gaussian_kl or (G.gaussian_kl_forward, G.gaussian_kl_backward)

    def forward(logits, x, mu, logvar):
        recon, c_rec = rec_f(logits, x, reduction="mean")
        kl, c_kl = kl_f(mu, logvar, reduction="mean")
        return np.asarray(recon + kl), (c_rec, c_kl)

    def backward(dout, cache):
        c_rec, c_kl = cache
        dmu, dlogvar = kl_b(dout, c_kl)
        return rec_b(dout, c_rec), dmu, dlogvar

    return forward, backward


VAE_LOSS = make_vae_loss()


def vae_loss_forward(logits, x, mu, logvar):
    """The negative ELBO: bernoulli_recon(logits, x) + gaussian_kl(mu, logvar), each summed over a
    sample's dims, mean over the batch. logits, x: (N, D); mu, logvar: (N, latent). Returns (0-d, cache)."""
    return VAE_LOSS[0](logits, x, mu, logvar)


def vae_loss_backward(dout, cache):
    """Gradients of `vae_loss_forward`: (dlogits, dmu, dlogvar) for a 0-d dout."""
    return VAE_LOSS[1](dout, cache)


def vae_loss(params, x, eps, loss=None, reparameterize=None):
    """One VAE step's (loss float, grads dict) on x (N, D) with eps (N, latent). loss: a (forward,
    backward) pair like VAE_LOSS (default); reparameterize: like `generative.reparameterize_*`."""
    loss_f, loss_b = loss or VAE_LOSS
    (logits, mu, logvar), cache = vae_forward(params, x, eps, reparameterize)
    value, c_loss = loss_f(logits, x, mu, logvar)
    dlogits, dmu, dlogvar = loss_b(np.ones_like(value), c_loss)
    return float(value), vae_backward(np.asarray(dlogits), np.asarray(dmu), np.asarray(dlogvar), cache)


def train_vae(params, X, recipe=GenRecipe(), *, loss=None, reparameterize=None, callback=None):
    """Train the VAE on X (N, D) in [0, 1] with Adam by `recipe`; eps ~ N(0, I) fresh each step.

    loss: a (forward, backward) pair replacing the reference VAE loss: forward(logits, x, mu, logvar)
    -> (0-d loss, cache), backward(dout, cache) -> (dlogits, dmu, dlogvar). reparameterize: a pair
    replacing `generative.reparameterize_*`. callback(step, loss) after each step.
    Returns (new params, history): "loss" per step (what `loss` returned), "time" (s).
    """
    X = _data(X)
    latent = params["decoder"][0].shape[1]
    idx, rng = _batches(len(X), recipe)
    opt, hist, start = _Adam(params, recipe), {"loss": [], "time": 0.0}, time.perf_counter()
    for step, rows in enumerate(idx):
        eps = rng.standard_normal((len(rows), latent))
        value, grads = vae_loss(params, X[rows], eps, loss, reparameterize)
        params = opt.step(params, grads)
        hist["loss"].append(value)
        if callback is not None:
            callback(step, value)
    hist["time"] = time.perf_counter() - start
    return params, hist


def vae_elbo(params, X, seed=0):
    """The reference's view of a VAE on X (N, D), one eps per row from `seed`: per-sample means of
    "recon" (-log p(x | z)), "kl", "loss" = recon + kl and "elbo" = -loss (nats per image)."""
    X = _data(X)
    latent = params["decoder"][0].shape[1]
    eps = np.random.default_rng(seed).standard_normal((len(X), latent))
    (logits, mu, logvar), _ = vae_forward(params, X, eps)
    recon = float(G.bernoulli_recon_forward(logits, X)[0])
    kl = float(G.gaussian_kl_forward(mu, logvar)[0])
    return {"recon": recon, "kl": kl, "loss": recon + kl, "elbo": -(recon + kl)}


# ------------------------------------------------------------------ GAN

def init_gan(latent=2, hidden=64, data_dim=2, rng=None):
    """Generator latent -> hidden -> hidden -> data_dim, discriminator data_dim -> hidden -> hidden -> 1
    (a logit), as nn.Linear draws them. Returns {"generator": [...], "discriminator": [...]}."""
    rng = generator(rng)
    k, h, d = (integer(n, v, 1) for n, v in (("latent", latent), ("hidden", hidden), ("data_dim", data_dim)))
    return {"generator": init_mlp((k, h, h, d), "linear_default", rng=rng),
            "discriminator": init_mlp((d, h, h, 1), "linear_default", rng=rng)}


def generate(params, z):
    """The generator's samples (N, data_dim) for noise z (N, latent)."""
    gen, _ = _pair_params(params, ("generator", "discriminator"))
    return mlp_forward(gen, array("z", z, ndim=2))[0]


def gan_losses(params, x_real, z, non_saturating=True, which="both"):
    """The discriminator's loss on x_real (N, d) and G(z), z (M, latent), and the generator's loss on
    D(G(z)) (non-saturating or minimax). which: "d", "g" or "both" (the gradients computed).
    Returns ({"d": float, "g": float}, {"discriminator": grads, "generator": grads}) for those asked."""
    gen, disc = _pair_params(params, ("generator", "discriminator"))
    fake, c_gen = mlp_forward(gen, array("z", z, ndim=2))
    fake_logits, c_fake = mlp_forward(disc, fake)
    losses, grads = {}, {}
    if which in ("d", "both"):
        real_logits, c_real = mlp_forward(disc, _data(x_real, fake.shape[1]))
        d_loss, c = G.gan_discriminator_loss_forward(real_logits, fake_logits)
        dreal, dfake = G.gan_discriminator_loss_backward(np.ones_like(d_loss), c)
        g_real, g_fake = _mlp_backward(dreal, c_real)[1], _mlp_backward(dfake, c_fake)[1]
        losses["d"], grads["discriminator"] = float(d_loss), [a + b for a, b in zip(g_real, g_fake)]
    if which in ("g", "both"):
        g_loss, c = G.gan_generator_loss_forward(fake_logits, non_saturating)
        dfake, _ = _mlp_backward(G.gan_generator_loss_backward(np.ones_like(g_loss), c), c_fake)
        losses["g"], grads["generator"] = float(g_loss), _mlp_backward(dfake, c_gen)[1]
    if which not in ("d", "g", "both"):
        raise ValueError(f"which must be 'd', 'g' or 'both', got {which!r}")
    return losses, grads


def train_gan(params, X, recipe=GenRecipe(), *, non_saturating=True, n_samples=512, callback=None):
    """Alternating updates on real data X (N, d): each step one Adam step of the discriminator on a
    batch of real rows and of fakes, then one of the generator on fresh noise (against the updated D).

    Returns (new params, history): "d_loss", "g_loss" per step (the generator's loss as selected),
    "steps" and "samples" (n_samples fakes of one fixed noise, every `recipe.every` steps and at the
    end), "z" (that noise), "non_saturating", "time" (s). callback(step, losses) after each step.
    """
    X = _data(X)
    latent = params["generator"][0].shape[1]
    idx, rng = _batches(len(X), recipe)
    z_fixed = rng.standard_normal((integer("n_samples", n_samples, 1), latent))
    opt, start = _Adam(params, recipe), time.perf_counter()
    hist = {"d_loss": [], "g_loss": [], "steps": [0], "samples": [generate(params, z_fixed)], "z": z_fixed,
            "non_saturating": bool(non_saturating), "time": 0.0}
    for step, rows in enumerate(idx, start=1):
        z = rng.standard_normal((recipe.batch_size, latent))
        d, grads = gan_losses(params, X[rows], z, non_saturating, which="d")
        params = opt.step(params, grads, keys=("discriminator",))
        g, grads = gan_losses(params, X[rows], rng.standard_normal((recipe.batch_size, latent)),
                              non_saturating, which="g")
        params = opt.step(params, grads, keys=("generator",))
        hist["d_loss"].append(d["d"])
        hist["g_loss"].append(g["g"])
        if step % recipe.every == 0 or step == recipe.steps:
            hist["steps"].append(step)
            hist["samples"].append(generate(params, z_fixed))
        if callback is not None:
            callback(step, {"d": d["d"], "g": g["g"]})
    hist["time"] = time.perf_counter() - start
    return params, hist


def ring_centers(modes=8, radius=2.0):
    """The centres (modes, 2) of `data.ring`'s mixture: radius (cos, sin) of 2 pi k / modes."""
    angle = 2 * np.pi * np.arange(integer("modes", modes, 1)) / modes
    return float(radius) * np.stack([np.cos(angle), np.sin(angle)], axis=1)


def mode_coverage(samples, centers, radius=0.25, min_frac=0.02):
    """How a generator covers a mixture: each sample goes to its nearest centre when within `radius`.

    samples (N, 2), centers (K, 2). Returns {"counts" (K,) ints, "covered": the modes holding at least
    min_frac of the samples, "quality": the fraction of samples within radius of some centre}.
    """
    samples, centers = array("samples", samples, ndim=2), array("centers", centers, ndim=2)
    dist = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=2)
    near, close = dist.argmin(axis=1), dist.min(axis=1) <= radius
    counts = np.bincount(near[close], minlength=len(centers))
    covered = int(np.sum(counts >= max(1, min_frac * len(samples))))
    return {"counts": counts, "covered": covered, "quality": float(close.mean())}
