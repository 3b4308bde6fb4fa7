"""Chapter 09's models (coursekit.reference.genmodels): the autoencoder's, the VAE's and the GAN's
gradients against PyTorch twins and numerical gradients, short training runs on the digits and on the
ring of Gaussians, the student-loss hook of `train_vae`, and the ring data."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Normal, kl_divergence

from coursekit import backend, data
from coursekit.reference import generative as G
from coursekit.reference import genmodels as M

pytestmark = pytest.mark.usefixtures("one_blas_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def digits():
    X_tr, X_te, _, _ = data.digits()
    return X_tr, X_te


# ---------------------------------------------------------------- PyTorch twins

def mlp(params):
    """nn.Sequential(Linear, ReLU, ..., Linear) in float64 holding [W1, b1, ...]."""
    layers = []
    for i in range(0, len(params), 2):
        lin = nn.Linear(params[i].shape[1], params[i].shape[0], dtype=torch.float64, device=backend.device())
        with torch.no_grad():
            lin.weight.copy_(backend.to_torch(params[i]))
            lin.bias.copy_(backend.to_torch(params[i + 1]))
        layers += [lin, nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def grads_of(seq):
    return [backend.to_numpy(p.grad) for p in seq.parameters()]


def assert_grads(mine, twin, rtol=1e-9, atol=1e-12):
    for name, seq in twin.items():
        for i, (a, b) in enumerate(zip(mine[name], grads_of(seq))):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"{name}[{i}]")


def t(a):
    return backend.to_torch(np.asarray(a, dtype=np.float64))


def test_autoencoder_matches_autograd():
    rng = np.random.default_rng(0)
    params = M.init_autoencoder(12, 7, 3, rng=1)
    x = rng.random((5, 12))
    loss, grads = M.ae_loss(params, x)
    enc, dec = mlp(params["encoder"]), mlp(params["decoder"])
    recon = torch.sigmoid(dec(enc(t(x))))
    t_loss = ((recon - t(x)) ** 2).sum(1).mean()
    t_loss.backward()
    assert loss == pytest.approx(t_loss.item(), rel=1e-12)
    np.testing.assert_allclose(M.ae_forward(params, x)[0], backend.to_numpy(recon.detach()), rtol=1e-12)
    np.testing.assert_allclose(M.encode(params, x), backend.to_numpy(enc(t(x)).detach()), rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(M.decode(params, M.encode(params, x)), M.ae_forward(params, x)[0])
    assert_grads(grads, {"encoder": enc, "decoder": dec})


def torch_vae_loss(enc, dec, x, eps):
    h = enc(x)
    mu, logvar = h.chunk(2, dim=1)
    z = mu + (0.5 * logvar).exp() * eps
    logits = dec(z)
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1).mean()
    kl = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(torch.zeros_like(mu), torch.ones_like(mu)))
    return recon + kl.sum(1).mean()


def test_vae_matches_autograd():
    rng = np.random.default_rng(0)
    params = M.init_vae(10, 6, 3, rng=2)
    x, eps = rng.random((4, 10)), rng.standard_normal((4, 3))
    loss, grads = M.vae_loss(params, x, eps)
    enc, dec = mlp(params["encoder"]), mlp(params["decoder"])
    t_loss = torch_vae_loss(enc, dec, t(x), t(eps))
    t_loss.backward()
    assert loss == pytest.approx(t_loss.item(), rel=1e-12)
    assert_grads(grads, {"encoder": enc, "decoder": dec})


@pytest.mark.parametrize("non_saturating", [True, False])
def test_gan_losses_match_autograd(non_saturating):
    rng = np.random.default_rng(0)
    params = M.init_gan(2, 5, 2, rng=3)
    x, z = rng.standard_normal((6, 2)), rng.standard_normal((4, 2))
    losses, grads = M.gan_losses(params, x, z, non_saturating)
    gen, disc = mlp(params["generator"]), mlp(params["discriminator"])
    fake_logits = disc(gen(t(z)))
    d_loss = (F.binary_cross_entropy_with_logits(disc(t(x)), torch.ones(6, 1, dtype=torch.float64,
                                                                         device=backend.device()))
              + F.binary_cross_entropy_with_logits(disc(gen(t(z)).detach()),
                                                   torch.zeros(4, 1, dtype=torch.float64, device=backend.device())))
    d_loss.backward(inputs=list(disc.parameters()))
    d_grads = grads_of(disc)
    for p in disc.parameters():
        p.grad = None
    ones = torch.ones_like(fake_logits)
    g_loss = (F.binary_cross_entropy_with_logits(fake_logits, ones) if non_saturating
              else -F.binary_cross_entropy_with_logits(fake_logits, 0 * ones))
    g_loss.backward(inputs=list(gen.parameters()))
    assert losses["d"] == pytest.approx(d_loss.item(), rel=1e-12)
    assert losses["g"] == pytest.approx(g_loss.item(), rel=1e-12)
    for a, b in zip(grads["discriminator"], d_grads):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    assert_grads({"generator": grads["generator"]}, {"generator": gen})
    only_d = M.gan_losses(params, x, z, non_saturating, which="d")
    assert set(only_d[1]) == {"discriminator"} and only_d[0]["d"] == losses["d"]


def numerical(f, params, name, i, k=6, h=1e-6):
    """Central differences of f(params) at k entries of params[name][i]; returns (flat indices, values)."""
    flat = params[name][i].reshape(-1)
    idx = np.random.default_rng(i).choice(flat.size, size=min(k, flat.size), replace=False)
    out = []
    for j in idx:
        vals = []
        for s in (h, -h):
            p = {n: [a.copy() for a in v] for n, v in params.items()}
            p[name][i].reshape(-1)[j] += s
            vals.append(f(p))
        out.append((vals[0] - vals[1]) / (2 * h))
    return idx, np.array(out)


@pytest.mark.parametrize("model", ["ae", "vae", "gan_d", "gan_g"])
def test_numerical_gradients(model):
    rng = np.random.default_rng(5)
    x, eps = rng.random((3, 5)), rng.standard_normal((3, 2))
    if model == "ae":
        params = M.init_autoencoder(5, 4, 2, rng=0)
        f = lambda p: M.ae_loss(p, x)  # noqa: E731
    elif model == "vae":
        params = M.init_vae(5, 4, 2, rng=0)
        f = lambda p: M.vae_loss(p, x, eps)  # noqa: E731
    else:
        params = M.init_gan(2, 4, 2, rng=0)
        key = model[-1]

        def f(p):
            losses, grads = M.gan_losses(p, x[:, :2], eps, which=key)
            return losses[key], grads
    loss, grads = f(params)
    for name, g in grads.items():
        for i in range(len(g)):
            idx, num = numerical(lambda p: f(p)[0], params, name, i)
            np.testing.assert_allclose(g[i].reshape(-1)[idx], num, rtol=1e-5, atol=1e-8, err_msg=f"{name}[{i}]")


def test_the_autoencoder_learns_the_digits(digits):
    X_tr, X_te = digits
    params = M.init_autoencoder(64, 32, 8, rng=0)
    before = M.ae_loss(params, X_te)[0]
    params, hist = M.train_ae(params, X_tr, M.GenRecipe(steps=600, lr=3e-3))
    after = M.ae_loss(params, X_te)[0]
    assert after < 0.35 * before, (before, after)
    assert np.mean(hist["loss"][-50:]) < 0.35 * np.mean(hist["loss"][:10])


def test_the_vae_learns_and_its_kl_is_positive(digits):
    X_tr, X_te = digits
    params = M.init_vae(64, 64, 2, rng=0)
    before = M.vae_elbo(params, X_te)
    params, hist = M.train_vae(params, X_tr, M.GenRecipe(steps=800, lr=3e-3))
    after = M.vae_elbo(params, X_te)
    assert after["loss"] < before["loss"] - 12, (before, after)
    assert np.isfinite(after["kl"]) and after["kl"] > 0.5, after
    assert after["elbo"] == -after["loss"] == pytest.approx(-(after["recon"] + after["kl"]))
    assert np.all(np.isfinite(hist["loss"]))
    probs = M.vae_decode(params, np.zeros((3, 2)))
    assert probs.shape == (3, 64) and np.all((probs > 0) & (probs < 1))


def test_train_vae_takes_a_loss_and_a_reparameterisation(digits):
    """The hook of the grader's train_check: a student's (forward, backward) pairs replace the reference's."""
    X_tr, _ = digits
    calls = {"loss": 0, "rep": 0}

    def loss_f(logits, x, mu, logvar):
        calls["loss"] += 1
        return M.vae_loss_forward(logits, x, mu, logvar)

    def rep_f(mu, logvar, eps):
        calls["rep"] += 1
        return G.reparameterize_forward(mu, logvar, eps)

    recipe = M.GenRecipe(steps=20)
    params = M.init_vae(64, 16, 2, rng=0)
    ref, h_ref = M.train_vae(params, X_tr, recipe)
    mine, h_mine = M.train_vae(params, X_tr, recipe, loss=(loss_f, M.vae_loss_backward),
                               reparameterize=(rep_f, G.reparameterize_backward))
    assert calls == {"loss": 20, "rep": 20}
    assert h_mine["loss"] == h_ref["loss"]
    for a, b in zip(mine["encoder"] + mine["decoder"], ref["encoder"] + ref["decoder"]):
        np.testing.assert_array_equal(a, b)

    pairs = M.make_vae_loss((G.bernoulli_recon_forward, G.bernoulli_recon_backward),
                            (G.gaussian_kl_forward, G.gaussian_kl_backward))
    built, h_built = M.train_vae(params, X_tr, recipe, loss=pairs)
    assert h_built["loss"] == h_ref["loss"]

    def no_kl_backward(dout, cache):  # a wrong loss: the KL's gradient forgotten
        dlogits, dmu, dlogvar = M.vae_loss_backward(dout, cache)
        return dlogits, 0 * dmu, 0 * dlogvar

    wrong, _ = M.train_vae(params, X_tr, recipe, loss=(M.vae_loss_forward, no_kl_backward))
    assert not np.allclose(wrong["encoder"][0], ref["encoder"][0])


def test_the_gan_covers_the_ring_with_the_non_saturating_loss():
    """Seeds 0-4 covered 8 modes at step 1000 with this recipe (hidden 128); the floor leaves slack."""
    X, _ = data.ring(2048, seed=1)
    params = M.init_gan(2, 128, 2, rng=1)
    recipe = M.GenRecipe(steps=1000, batch_size=128, lr=1e-3, betas=(0.5, 0.999), seed=1, every=250)
    params, hist = M.train_gan(params, X, recipe, non_saturating=True)
    cov = M.mode_coverage(hist["samples"][-1], M.ring_centers())
    assert cov["covered"] >= 6 and cov["quality"] > 0.5, cov
    assert hist["steps"] == [0, 250, 500, 750, 1000] and len(hist["samples"]) == 5
    assert len(hist["d_loss"]) == len(hist["g_loss"]) == 1000
    np.testing.assert_array_equal(hist["samples"][-1], M.generate(params, hist["z"]))
    assert M.mode_coverage(hist["samples"][0], M.ring_centers())["covered"] <= 2  # the untrained generator


def test_ring_data_and_mode_coverage():
    X, y = data.ring(800, modes=8, radius=2.0, std=0.05, seed=3)
    assert X.shape == (800, 2) and y.dtype == np.int64 and np.bincount(y).tolist() == [100] * 8
    centers = M.ring_centers(8, 2.0)
    np.testing.assert_allclose([X[y == k].mean(0) for k in range(8)], centers, atol=0.02)
    np.testing.assert_array_equal(data.ring(800, seed=3)[0], X)
    cov = M.mode_coverage(X, centers)
    assert cov["covered"] == 8 and cov["quality"] == 1.0 and cov["counts"].tolist() == [100] * 8
    one = M.mode_coverage(np.tile(centers[2], (50, 1)), centers)
    assert one["covered"] == 1 and one["counts"][2] == 50
    with pytest.raises(ValueError, match="std"):
        data.ring(10, std=-1.0)
    with pytest.raises(ValueError, match="params"):
        M.vae_loss({"encoder": []}, X, X)
