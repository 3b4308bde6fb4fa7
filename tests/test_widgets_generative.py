"""Chapter 09 widgets driven headless: the VAE's latent grid and the GAN's training playback."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from coursekit import data
from coursekit.reference import genmodels as M
from coursekit.widgets import GANPlayback, LatentGrid
from coursekit.widgets import generative as wg


@pytest.fixture(scope="module")
def vae():
    X_tr, X_te, _, y_te = data.digits()
    with threadpool_limits(1):
        params, _ = M.train_vae(M.init_vae(64, 32, 2, rng=0), X_tr, M.GenRecipe(steps=150, lr=3e-3))
    return params, X_te[:100], y_te[:100]


@pytest.fixture(scope="module")
def gan():
    X, _ = data.ring(512, seed=0)
    with threadpool_limits(1):
        _, hist = M.train_gan(M.init_gan(2, 16, 2, rng=0), X, M.GenRecipe(steps=60, batch_size=32, every=20),
                              n_samples=64)
    return hist, X


@pytest.fixture
def grid(vae):
    params, X, y = vae
    w = LatentGrid(params, X, y, n=5)
    yield w
    w.close()


@pytest.fixture
def playback(gan):
    hist, X = gan
    w = GANPlayback(hist, X, centers=M.ring_centers())
    yield w
    w.close()


def assert_grid_consistent(w):
    """The drawn mosaic is the reference decoder over the grid the sliders say."""
    (cx, cy), s, n = w.center, w.span, w.n
    assert (cx, cy, s, n) == (w.value("cx"), w.value("cy"), w.value("span"), w.value("n"))
    assert w.z.shape == (n * n, 2)
    np.testing.assert_allclose(w.z[0], [cx - s, cy + s])        # top left: smallest z1, largest z2
    np.testing.assert_allclose(w.z[-1], [cx + s, cy - s])       # bottom right
    np.testing.assert_allclose(w.z[n - 1], [cx + s, cy + s])    # top right
    np.testing.assert_array_equal(w.images, M.vae_decode(w.params, w.z))
    side = 8
    assert w.mosaic.shape == (n * (side + 1) - 1,) * 2
    np.testing.assert_array_equal(w.im.get_array(), w.mosaic)
    last = w.mosaic[-side:, -side:]
    np.testing.assert_array_equal(last, w.images[-1].reshape(side, side))
    assert np.isnan(w.mosaic[side, :]).all()  # the gap row
    x0, y0 = w.window.get_xy()
    assert (x0, y0, w.window.get_width()) == pytest.approx((cx - s, cy - s, 2 * s))
    np.testing.assert_array_equal(w.grid_points.get_xdata(), w.z[:, 0])


@pytest.mark.parametrize("control, value", [("cx", 1.5), ("cy", -2.0), ("span", 0.5), ("n", 7)])
def test_every_slider_changes_the_grid(grid, control, value):
    png, z, images, n0 = grid.png, grid.z.copy(), grid.images.copy(), grid.n_renders
    grid.controls[control].value = value
    assert grid.n_renders == n0 + 1 and grid.png != png
    assert grid.z.shape != z.shape or not np.array_equal(grid.z, z)
    assert grid.images.shape != images.shape or not np.allclose(grid.images, images)
    assert_grid_consistent(grid)


def test_zooming_in_makes_the_digits_alike(grid):
    grid.controls["span"].value = 3.0
    far = np.ptp(grid.images, axis=0).mean()
    grid.controls["span"].value = 0.1
    near = np.ptp(grid.images, axis=0).mean()
    assert near < 0.2 * far, (near, far)
    np.testing.assert_allclose(grid.z.mean(0), grid.center, atol=1e-12)


def test_grid_shows_the_encoded_data_and_rejects_other_latents(grid, vae):
    params, X, y = vae
    np.testing.assert_array_equal(grid.scatter.get_offsets(), M.vae_encode(params, X)[0][0])
    assert "5 × 5 digits" in grid.status.value
    with pytest.raises(ValueError, match="2-D latent"):
        LatentGrid(M.init_vae(64, 8, 3, rng=0))
    with pytest.raises(ValueError, match="span"):
        LatentGrid(params, span=0.0)
    alone = LatentGrid(params, n=3)  # no data: no scatter
    assert alone.mu is None and alone.images.shape == (9, 64)
    alone.close()


def test_latent_grid_and_mosaic_helpers():
    z = wg.latent_grid((1.0, -1.0), 2.0, 3)
    np.testing.assert_allclose(z[:3], [[-1, 1], [1, 1], [3, 1]])
    np.testing.assert_allclose(z[-3:], [[-1, -3], [1, -3], [3, -3]])
    m = wg.mosaic(np.arange(4 * 4, dtype=float).reshape(4, 4), 2, 2, gap=1)
    assert m.shape == (5, 5)
    np.testing.assert_array_equal(m[3:, 3:], [[12, 13], [14, 15]])
    assert np.isnan(m[2]).all() and np.isnan(m[:, 2]).all()


def assert_playback_consistent(w):
    i = w.value("index")
    assert w.step == w.hist["steps"][i]
    np.testing.assert_array_equal(w.samples, w.hist["samples"][i])
    np.testing.assert_array_equal(w.fake.get_offsets(), w.samples)
    assert list(w.marker.get_xdata()) == [w.step, w.step]
    if w.step:
        assert w.losses == (w.hist["d_loss"][w.step - 1], w.hist["g_loss"][w.step - 1])
        assert list(w.dots.get_ydata()) == list(w.losses)
        assert f"D loss {w.losses[0]:.3f}" in w.status.value
    cov = M.mode_coverage(w.samples, M.ring_centers())
    assert w.coverage["covered"] == cov["covered"]
    assert f"modes covered {cov['covered']}/8" in w.status.value


def test_the_step_slider_plays_back_the_history(playback):
    assert playback.value("index") == len(playback.hist["samples"]) - 1  # starts at the end
    assert playback.step == 60
    assert_playback_consistent(playback)
    seen = set()
    for i in (0, 1, 2):
        png, n = playback.png, playback.n_renders
        playback.controls["index"].value = i
        assert playback.n_renders == n + 1 and playback.png != png
        assert_playback_consistent(playback)
        seen.add(playback.step)
    assert seen == {0, 20, 40}
    playback.controls["index"].value = 0
    assert playback.losses is None and list(playback.dots.get_xdata()) == []


def test_playback_lines_are_the_loss_history(playback, gan):
    hist, _ = gan
    d_line, g_line = playback.axes[1].get_lines()[:2]
    np.testing.assert_array_equal(d_line.get_ydata(), hist["d_loss"])
    np.testing.assert_array_equal(g_line.get_ydata(), hist["g_loss"])
    assert "non-saturating" in g_line.get_label()
    playback.play.value = 1  # the ▶ button is linked to the slider
    assert playback.value("index") == 1 and playback.step == 20
    with pytest.raises(ValueError, match="index"):
        GANPlayback(hist, hist["samples"][0], index=99)
    bare = GANPlayback(hist, hist["samples"][0], index=0)
    assert bare.coverage is None and "modes" not in bare.status.value
    bare.close()
