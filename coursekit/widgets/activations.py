"""Chapter 02: an activation and its derivative; saturation and dead units as the input scale grows."""
from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..reference import activations as A
from .base import PlotWidget

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "gelu")
SATURATED = 0.01  # |f'(z)| below this counts as saturated


def forward(name, x):
    """f(x) with the reference forward of activation `name`."""
    return getattr(A, f"{name}_forward")(x)[0]


def derivative(name, x):
    """f'(x), elementwise: the reference backward with dout = ones."""
    out, cache = getattr(A, f"{name}_forward")(x)
    return getattr(A, f"{name}_backward")(np.ones_like(out), cache)


def preactivations(scale=1.0, shift=0.0, n=10_000, seed=0):
    """A batch of pre-activations z = scale * N(0, 1) + shift (fixed seed): shape (n,)."""
    return scale * np.random.default_rng(seed).standard_normal(n) + shift


def gradient_stats(name, scale=1.0, shift=0.0, n=10_000, seed=0):
    """(saturated, dead): fractions of a batch with |f'(z)| < 0.01 and with f'(z) == 0 exactly."""
    g = derivative(name, preactivations(scale, shift, n, seed))
    return float(np.mean(np.abs(g) < SATURATED)), float(np.mean(g == 0.0))


class ActivationExplorer(PlotWidget):
    """Pick an activation; slide the scale and shift of a batch of pre-activations z.

    Left: f and f' over the range the batch covers (shaded: the middle 95% of the batch).
    Right: histogram of f'(z) over the batch. The status line gives the saturated fraction
    (|f'| < 0.01) and the dead fraction (f' exactly 0: no gradient reaches the weights).
    State after each change: `x_plot`, `f`, `df`, `z`, `grad`, `saturated`, `dead`.
    """

    def __init__(self, activation="sigmoid", scale=1.0, shift=0.0, n=10_000, seed=0):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
        self.n, self.seed = n, seed
        controls = {
            "activation": W.Dropdown(options=list(ACTIVATIONS), value=activation, description="f",
                                     layout=W.Layout(width="190px")),
            "scale": W.FloatLogSlider(value=scale, base=10, min=-1, max=1.5, step=0.05,
                                      description="scale", readout_format=".2f",
                                      layout=W.Layout(width="300px")),
            "shift": W.FloatSlider(value=shift, min=-10.0, max=10.0, step=0.5, description="shift",
                                   readout_format=".1f", layout=W.Layout(width="300px")),
        }
        super().__init__(controls, ncols=2, figsize=(9.0, 3.6),
                         title="Activation explorer: z = scale · N(0, 1) + shift")

    def setup(self):
        ax, ah = self.axes
        self.band = ax.axvspan(-1, 1, color="0.85", zorder=0, label="95% of z")
        (self.line_f,) = ax.plot([], [], lw=2, label="f(z)")
        (self.line_df,) = ax.plot([], [], lw=2, ls="--", label="f'(z)")
        ax.axhline(0, color="gray", lw=0.5)
        ax.set_xlabel("z")
        ax.legend(loc="upper left", fontsize=8)
        ah.set_xlabel("f'(z) over the batch")
        ah.set_ylabel("fraction")

    def update(self):
        self.activation = name = self.value("activation")
        self.scale, self.shift = float(self.value("scale")), float(self.value("shift"))
        self.z = preactivations(self.scale, self.shift, self.n, self.seed)
        self.grad = derivative(name, self.z)
        self.saturated = float(np.mean(np.abs(self.grad) < SATURATED))
        self.dead = float(np.mean(self.grad == 0.0))
        lo, hi = np.percentile(self.z, [2.5, 97.5])
        half = max(3.5 * self.scale, 4.0)
        self.x_plot = np.linspace(self.shift - half, self.shift + half, 400)
        self.f, self.df = forward(name, self.x_plot), derivative(name, self.x_plot)
        ax, ah = self.axes
        self.line_f.set_data(self.x_plot, self.f)
        self.line_df.set_data(self.x_plot, self.df)
        self.band.set_x(lo)
        self.band.set_width(hi - lo)
        ax.set_xlim(self.x_plot[0], self.x_plot[-1])
        ymin = min(self.f.min(), self.df.min(), 0.0)
        ymax = max(self.f.max(), self.df.max(), 1.0)
        ax.set_ylim(ymin - 0.05 * (ymax - ymin), ymax + 0.05 * (ymax - ymin))
        ax.set_title(f"{name}: f and f'", fontsize=10)
        ah.clear()
        weights = np.full(self.grad.shape, 1.0 / self.grad.size)
        ah.hist(self.grad, bins=40, range=(min(0.0, self.grad.min()), max(1.0, self.grad.max())),
                weights=weights, color="C1")
        ah.axvline(SATURATED, color="k", ls=":", lw=1)
        ah.set_xlabel("f'(z) over the batch")
        ah.set_ylabel("fraction")
        ah.set_title(f"saturated {self.saturated:.1%}, dead {self.dead:.1%}", fontsize=10)
        self.status.value = (f"saturated (|f'| &lt; {SATURATED}): <b>{self.saturated:.1%}</b> &nbsp; "
                             f"dead (f' = 0): <b>{self.dead:.1%}</b> &nbsp; "
                             f"mean |f'|: {np.mean(np.abs(self.grad)):.3g}")
