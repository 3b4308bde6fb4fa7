"""Chapter 09: a trained VAE's decoder over a grid of latent codes, and a GAN's training played back.

`LatentGrid` decodes an n x n grid of 2-D latent codes z with a VAE (`reference.genmodels`) and shows
the digits beside the latent space, where the encoded data (the means mu) and the grid's window are
drawn: the sliders move the window's centre and zoom. (The plot is a PNG: it takes no mouse clicks.)
`GANPlayback` steps through `genmodels.train_gan`'s history: the generator's samples against the real
mixture, and the discriminator's and generator's losses with a marker at the step.
"""
from __future__ import annotations

import ipywidgets as W
import numpy as np
from matplotlib.patches import Rectangle

from ..reference import genmodels as M
from .base import PlotWidget, check_int, check_number

LATENT_LIM = 4.0  # the centre sliders' range: the prior N(0, I) puts 99.99 % of its mass inside +-4


# ------------------------------------------------------------------ pure helpers

def latent_grid(center, span, n):
    """The (n * n, 2) latent codes of an n x n grid over [cx - span, cx + span] x [cy - span, cy + span],
    row by row from the TOP (largest z2) down, left to right (as an image is read)."""
    xs = center[0] + np.linspace(-span, span, n)
    ys = center[1] + np.linspace(span, -span, n)
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def mosaic(images, n, side, gap=1):
    """n * n images (n * n, side * side) tiled row by row into one (n (side + gap) - gap)^2 array,
    the gaps NaN (drawn blank)."""
    step = side + gap
    out = np.full((n * step - gap, n * step - gap), np.nan)
    for k, img in enumerate(np.asarray(images).reshape(n * n, side, side)):
        i, j = divmod(k, n)
        out[i * step:i * step + side, j * step:j * step + side] = img
    return out


class LatentGrid(PlotWidget):
    """The decoder of a VAE with a 2-D latent space over a grid of z, beside the encoded data.

    params: `genmodels.init_vae(..., latent=2)` trained; X (N, D), y (N,) (optional): data whose
    latent means are scattered, coloured by label. Controls: `cx`, `cy` (the grid's centre), `span`
    (half its width: the zoom), `n` (n x n digits). State after each change: `z` (n * n, 2),
    `images` (n * n, D) pixel probabilities, `mosaic`.
    """

    def __init__(self, params, X=None, y=None, center=(0.0, 0.0), span=2.5, n=9):
        self.params = params
        self.latent = params["decoder"][0].shape[1]
        if self.latent != 2:
            raise ValueError(f"params must be a VAE with a 2-D latent space, got latent size {self.latent}")
        self.side = int(round(np.sqrt(params["decoder"][-1].shape[0])))
        self.mu = M.vae_encode(params, X)[0][0] if X is not None else None
        self.labels = None if y is None else np.asarray(y)
        slider = {"layout": W.Layout(width="260px"), "continuous_update": False}
        cx, cy = (check_number(f"center[{i}]", c, -LATENT_LIM, LATENT_LIM) for i, c in enumerate(center))
        controls = {
            "cx": W.FloatSlider(value=cx, min=-LATENT_LIM, max=LATENT_LIM, step=0.1, description="z₁ centre",
                                **slider),
            "cy": W.FloatSlider(value=cy, min=-LATENT_LIM, max=LATENT_LIM, step=0.1, description="z₂ centre",
                                **slider),
            "span": W.FloatSlider(value=check_number("span", span, 0.1, 6.0), min=0.1, max=6.0, step=0.1,
                                  description="span ±", **slider),
            "n": W.IntSlider(value=check_int("n", n, 2, 20), min=2, max=20, description="n × n", **slider),
        }
        super().__init__(controls, ncols=2, figsize=(10.0, 4.8), title="A VAE's decoder over its latent space")

    def setup(self):
        ax, ag = self.axes
        if self.mu is not None:
            c = self.labels if self.labels is not None else "0.5"
            self.scatter = ax.scatter(self.mu[:, 0], self.mu[:, 1], c=c, cmap="tab10", s=6, alpha=0.6)
        self.window = Rectangle((0, 0), 1, 1, fill=False, color="k", lw=1.5)
        ax.add_patch(self.window)
        (self.grid_points,) = ax.plot([], [], "k.", ms=2)
        ax.set(xlim=(-LATENT_LIM - 2, LATENT_LIM + 2), ylim=(-LATENT_LIM - 2, LATENT_LIM + 2), xlabel="z₁",
               ylabel="z₂", aspect="equal")
        ax.set_title("latent space: encoded μ (colour: label), the grid's window", fontsize=9)
        self.im = ag.imshow(np.zeros((2, 2)), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        ag.set_axis_off()

    def update(self):
        self.center = (float(self.value("cx")), float(self.value("cy")))
        self.span, self.n = float(self.value("span")), int(self.value("n"))
        self.z = latent_grid(self.center, self.span, self.n)
        self.images = M.vae_decode(self.params, self.z)
        self.mosaic = mosaic(self.images, self.n, self.side)
        self.im.set_data(self.mosaic)
        self.im.set_extent((-0.5, self.mosaic.shape[1] - 0.5, self.mosaic.shape[0] - 0.5, -0.5))
        (cx, cy), s = self.center, self.span
        self.window.set_bounds(cx - s, cy - s, 2 * s, 2 * s)
        self.grid_points.set_data(self.z[:, 0], self.z[:, 1])
        self.axes[1].set_title(f"decoded: z₁ in [{cx - s:.1f}, {cx + s:.1f}] (left to right), "
                               f"z₂ in [{cy - s:.1f}, {cy + s:.1f}] (bottom to top)", fontsize=9)
        self.status.value = (f"{self.n} × {self.n} digits decoded around z = ({cx:.1f}, {cy:.1f}), span ±{s:.1f}; "
                             f"mean pixel {self.images.mean():.3f}")


class GANPlayback(PlotWidget):
    """A GAN's training played back: the generator's samples of one fixed noise at each snapshot, over
    the real data, and the two loss curves with a marker at the snapshot's step.

    history: `genmodels.train_gan`'s; real (N, 2): the training data; centers (K, 2) (optional, e.g.
    `genmodels.ring_centers()`): the modes, marked and counted (`mode_coverage`). Controls: `index`
    (the snapshot) and a ▶ button. State: `step`, `samples`, `coverage` (None without centers).
    """

    def __init__(self, history, real, centers=None, index=None, radius=0.25):
        self.hist, self.real = history, np.asarray(real, dtype=np.float64)
        self.centers = None if centers is None else np.asarray(centers, dtype=np.float64)
        self.radius = radius
        last = len(history["samples"]) - 1
        index = last if index is None else check_int("index", index, 0, last)
        slider = W.IntSlider(value=index, min=0, max=last, description="snapshot",
                             layout=W.Layout(width="420px"))
        self.play = self.linked_play(slider, interval=300, description="play training")
        super().__init__({"index": slider}, ncols=2, figsize=(10.0, 4.2), title="GAN training, played back")

    def layout_controls(self):
        return [W.HBox([self.play, self.controls["index"]])]

    def setup(self):
        ax, al = self.axes
        ax.scatter(self.real[:, 0], self.real[:, 1], s=3, c="0.7", label="real")
        if self.centers is not None:
            ax.plot(self.centers[:, 0], self.centers[:, 1], "kx", ms=8, label="modes")
        self.fake = ax.scatter([], [], s=4, c="C3", label="generated")
        lim = 1.3 * float(np.abs(self.real).max())
        ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal")
        ax.legend(loc="upper right", fontsize=7)
        steps = np.arange(1, len(self.hist["d_loss"]) + 1)
        al.plot(steps, self.hist["d_loss"], "C0-", lw=0.8, label="discriminator")
        g_name = "non-saturating" if self.hist.get("non_saturating", True) else "minimax"
        al.plot(steps, self.hist["g_loss"], "C3-", lw=0.8, label=f"generator ({g_name})")
        self.marker = al.axvline(0, color="k", lw=1)
        (self.dots,) = al.plot([], [], "ko", ms=4)
        al.set(xlabel="step", ylabel="loss")
        al.legend(fontsize=7)
        al.grid(alpha=0.3)

    def update(self):
        i = int(self.value("index"))
        self.step, self.samples = int(self.hist["steps"][i]), self.hist["samples"][i]
        self.fake.set_offsets(self.samples)
        self.marker.set_xdata([self.step, self.step])
        k = self.step - 1
        self.losses = (self.hist["d_loss"][k], self.hist["g_loss"][k]) if self.step > 0 else None
        self.dots.set_data(*(([self.step] * 2, list(self.losses)) if self.losses else ([], [])))
        self.coverage = None
        text = f"step {self.step} of {len(self.hist['d_loss'])}"
        if self.losses:
            text += f": D loss {self.losses[0]:.3f}, G loss {self.losses[1]:.3f}"
        if self.centers is not None:
            self.coverage = M.mode_coverage(self.samples, self.centers, radius=self.radius)
            text += f"; modes covered {self.coverage['covered']}/{len(self.centers)}"
        self.axes[0].set_title(f"samples at step {self.step}", fontsize=9)
        self.status.value = text
