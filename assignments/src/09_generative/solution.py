"""Assignment 09_generative: the solutions of its answer cells.

assignments/build_sources.py copies each function below, from its `def` line to its
`### END SOLUTION`, into the answer cell of the same name (assignment.md places the cells):
edit here, then run `python assignments/build_sources.py`.
"""
import numpy as np

# BEGIN SETUP: the lines up to END SETUP also go into the notebook's read-only first cell
from coursekit.grading import train_check  # a VAE training run with your functions

# END SETUP


def reparameterize_forward(mu, logvar, eps):
    """z = mu + exp(logvar / 2) * eps, a sample of N(mu, exp(logvar)) differentiable in mu and logvar.

    mu, logvar, eps: ndarrays of one shape, e.g. (N, D); eps ~ N(0, I) is drawn by the caller.
    Returns (z, cache): z has the shape of mu.
    """
    ### BEGIN SOLUTION
    std = np.exp(0.5 * logvar)
    return mu + std * eps, (std, eps)
    ### END SOLUTION


def reparameterize_backward(dout, cache):
    """Gradients of reparameterize_forward for mu and logvar (eps is data: no gradient).

    dout: the shape of z. Returns (dmu, dlogvar), each shaped like mu.
    """
    ### BEGIN SOLUTION
    std, eps = cache
    dmu = dout * np.ones_like(std)
    dlogvar = 0.5 * dout * eps * std
    return dmu, dlogvar
    ### END SOLUTION


def gaussian_kl_forward(mu, logvar, reduction="mean"):
    """KL(N(mu, exp(logvar)) || N(0, I)) of each sample, like torch.distributions.kl_divergence summed per sample.

    mu, logvar: (N, D) (or (N, *), or (N,): one latent value per sample). Per element
    1/2 (mu^2 + exp(logvar) - 1 - logvar), summed over every axis but the first: (N,) for "none";
    "sum" their total and "mean" their mean over the N samples, each a 0-d array. Returns (loss, cache).
    """
    ### BEGIN SOLUTION
    elem = 0.5 * (mu * mu + np.expm1(logvar) - logvar)
    per_sample = elem.reshape(elem.shape[0], -1).sum(axis=1)
    if reduction == "mean":
        loss = np.asarray(per_sample.mean())
    elif reduction == "sum":
        loss = np.asarray(per_sample.sum())
    else:
        loss = per_sample
    return loss, (mu, logvar, reduction)
    ### END SOLUTION


def gaussian_kl_backward(dout, cache):
    """Gradients of gaussian_kl_forward: dmu = mu * g, dlogvar = (exp(logvar) - 1) / 2 * g.

    g is each sample's upstream gradient: dout[n] for "none" (dout (N,)), dout for "sum",
    dout / N for "mean" (dout 0-d). Returns (dmu, dlogvar), each shaped like mu.
    """
    ### BEGIN SOLUTION
    mu, logvar, reduction = cache
    n = mu.shape[0]
    g = np.asarray(dout, dtype=mu.dtype)
    if reduction == "none":
        g = g.reshape((n,) + (1,) * (mu.ndim - 1))
    elif reduction == "mean":
        g = g / n
    return mu * g, 0.5 * np.expm1(logvar) * g
    ### END SOLUTION


def bernoulli_recon_forward(logits, target, reduction="mean"):
    """-log p(target | logits) of independent Bernoullis, p = sigmoid(logits): BCE with logits per sample.

    logits: (N, D) (or (N, *), or (N,)), stable at |logits| = 1000; target: the same shape, values
    in [0, 1]. Per element max(z, 0) - z t + log(1 + exp(-|z|)), summed over every axis but the
    first: (N,) for "none"; "sum" their total and "mean" their mean over the N samples (0-d).
    Returns (loss, cache).
    """
    ### BEGIN SOLUTION
    z, t = logits, target
    elem = np.maximum(z, 0.0) - z * t + np.log1p(np.exp(-np.abs(z)))
    per_sample = elem.reshape(elem.shape[0], -1).sum(axis=1)
    if reduction == "mean":
        loss = np.asarray(per_sample.mean())
    elif reduction == "sum":
        loss = np.asarray(per_sample.sum())
    else:
        loss = per_sample
    return loss, (z, t, reduction)
    ### END SOLUTION


def bernoulli_recon_backward(dout, cache):
    """Gradient of bernoulli_recon_forward for the logits: (sigmoid(logits) - target) * g.

    g is each sample's upstream gradient: dout[n] for "none" (dout (N,)), dout for "sum",
    dout / N for "mean" (dout 0-d). Returns dlogits, the shape of logits.
    """
    ### BEGIN SOLUTION
    z, t, reduction = cache
    n = z.shape[0]
    e = np.exp(-np.abs(z))
    sig = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    g = np.asarray(dout, dtype=z.dtype)
    if reduction == "none":
        g = g.reshape((n,) + (1,) * (z.ndim - 1))
    elif reduction == "mean":
        g = g / n
    return (sig - t) * g
    ### END SOLUTION


def gan_discriminator_loss_forward(real_logits, fake_logits):
    """The discriminator's loss -mean log D(x) - mean log(1 - D(G(z))), with D = sigmoid(logits).

    real_logits: (N, 1) (any shape), the discriminator's logits for real samples; fake_logits:
    (M, 1) (any shape), for generated ones. Each term is the mean over its own batch, stable at
    |logits| = 1000. Returns (loss, cache): loss is a 0-d array.
    """
    ### BEGIN SOLUTION
    def softplus(x):  # log(1 + exp(x)), stable
        return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))

    loss = softplus(-real_logits).mean() + softplus(fake_logits).mean()
    return np.asarray(loss), (real_logits, fake_logits)
    ### END SOLUTION


def gan_discriminator_loss_backward(dout, cache):
    """Gradients of gan_discriminator_loss_forward: (sigmoid(real) - 1) * dout / N, sigmoid(fake) * dout / M.

    dout: 0-d. Returns (dreal_logits, dfake_logits), shaped like real_logits and fake_logits.
    """
    ### BEGIN SOLUTION
    def sigmoid(x):  # stable at |x| = 1000
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    real, fake = cache
    dreal = (sigmoid(real) - 1.0) * dout / real.size
    dfake = sigmoid(fake) * dout / fake.size
    return dreal, dfake
    ### END SOLUTION


def gan_generator_loss_forward(fake_logits, non_saturating=True):
    """The generator's loss on the discriminator's logits for its fakes, D = sigmoid(fake_logits).

    non_saturating=True: -mean log D(G(z)); False: the minimax loss mean log(1 - D(G(z))).
    fake_logits: (M, 1) (any shape), stable at |logits| = 1000. Returns (loss, cache): loss is 0-d.
    """
    ### BEGIN SOLUTION
    def softplus(x):  # log(1 + exp(x)), stable
        return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))

    if non_saturating:
        loss = softplus(-fake_logits).mean()  # -log sigmoid(z) = softplus(-z)
    else:
        loss = -softplus(fake_logits).mean()  # log(1 - sigmoid(z)) = -softplus(z)
    return np.asarray(loss), (fake_logits, non_saturating)
    ### END SOLUTION


def gan_generator_loss_backward(dout, cache):
    """Gradient of gan_generator_loss_forward for fake_logits (M elements in all).

    non-saturating: (sigmoid(z) - 1) * dout / M; minimax: -sigmoid(z) * dout / M. dout: 0-d.
    Returns dfake_logits, the shape of fake_logits.
    """
    ### BEGIN SOLUTION
    z, non_saturating = cache
    e = np.exp(-np.abs(z))
    sig = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    local = sig - 1.0 if non_saturating else -sig
    return local * dout / z.size
    ### END SOLUTION
