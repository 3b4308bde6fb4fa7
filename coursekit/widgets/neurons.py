"""Chapter 01: one neuron y = f(w . x + b) on a toy 2-D data set."""
from __future__ import annotations

import ipywidgets as W
import numpy as np

from .. import data
from ..reference.neurons import neuron_forward
from .base import PlotWidget

# activation -> (name passed to neuron_forward, threshold on y that means "class 1")
ACTIVATIONS = {"sigmoid": ("sigmoid", 0.5), "tanh": ("tanh", 0.0), "relu": ("relu", 0.0),
               "linear": (None, 0.0), "step": (None, 0.5)}
DATASETS = {"linear": {}, "blobs": {"std": 0.8}, "moons": {"noise": 0.15},
            "xor": {"noise": 0.1}, "spirals": {"classes": 2, "noise": 0.1}}


def neuron(x, w, b, activation):
    """y = f(x . w + b) for the playground's activations: reference ops, plus the step 1[z > 0]."""
    name, _ = ACTIVATIONS[activation]
    y = neuron_forward(x, np.asarray(w, dtype=np.float64), b, activation=name)
    return (y > 0).astype(np.float64) if activation == "step" else y


def predict(x, w, b, activation):
    """Class 1 where the neuron's output is above its activation's threshold (0.5 or 0)."""
    return (neuron(x, w, b, activation) > ACTIVATIONS[activation][1]).astype(np.int64)


class NeuronPlayground(PlotWidget):
    """Sliders w1, w2, b and dropdowns for the activation and the data set.

    Left: the data, the neuron's output f(w . x + b) as a background, the boundary w . x + b = 0.
    Right: every point's pre-activation z against its output f(z).
    State after each change: `X`, `y`, `z`, `out`, `pred`, `accuracy`, `surface` (grid outputs),
    `boundary` (x, y of the drawn line, empty when w = 0).
    """

    def __init__(self, w1=1.0, w2=-1.0, b=0.0, activation="sigmoid", dataset="linear",
                 n=200, seed=0, grid=120):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
        if dataset not in DATASETS:
            raise ValueError(f"dataset must be one of {', '.join(DATASETS)}, got {dataset!r}")
        self.n, self.seed, self.grid = n, seed, grid
        slider = {"min": -5.0, "max": 5.0, "step": 0.1, "continuous_update": True,
                  "readout_format": ".1f", "layout": W.Layout(width="260px")}
        controls = {
            "w1": W.FloatSlider(value=w1, description="w1", **slider),
            "w2": W.FloatSlider(value=w2, description="w2", **slider),
            "b": W.FloatSlider(value=b, description="b", **slider),
            "activation": W.Dropdown(options=list(ACTIVATIONS), value=activation,
                                     description="f", layout=W.Layout(width="180px")),
            "dataset": W.Dropdown(options=list(DATASETS), value=dataset, description="data",
                                  layout=W.Layout(width="180px")),
        }
        self._dataset = None
        super().__init__(controls, ncols=2, figsize=(9.0, 4.0),
                         title="One neuron: y = f(w1 x1 + w2 x2 + b)")

    def _load(self, name):
        if name != self._dataset:
            X, y = data.toy(name, n=self.n, seed=self.seed, **DATASETS[name])
            self.X, self.y, self._dataset = X, y, name
            lo, hi = X.min(0) - 0.3, X.max(0) + 0.3
            self.extent = (lo[0], hi[0], lo[1], hi[1])
            gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], self.grid), np.linspace(lo[1], hi[1], self.grid))
            self.grid_points = np.stack([gx.ravel(), gy.ravel()], axis=1)
            colors = np.where(y[:, None] == 1, [[0.80, 0.15, 0.15]], [[0.15, 0.30, 0.80]])
            self.scatter.set_offsets(X)
            self.scatter.set_facecolors(colors)
            self.zscatter.set_facecolors(colors)
            self.ax.set_xlim(lo[0], hi[0])
            self.ax.set_ylim(lo[1], hi[1])
            self.background.set_extent(self.extent)

    def setup(self):
        ax, az = self.axes
        self.background = ax.imshow(np.zeros((2, 2)), origin="lower", cmap="RdBu_r", alpha=0.45,
                                    aspect="auto", interpolation="bilinear")
        self.scatter = ax.scatter([0], [0], s=14, edgecolors="white", linewidths=0.4, zorder=3)
        (self.line,) = ax.plot([], [], "k-", lw=2, zorder=4, label="w·x + b = 0")
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
        ax.legend(loc="upper right", fontsize=8)
        self.zscatter = az.scatter([0], [0], s=10, zorder=3)
        (self.curve,) = az.plot([], [], "k-", lw=1.5)
        self.threshold_line = az.axhline(0.5, color="gray", ls="--", lw=1)
        az.axvline(0, color="gray", lw=0.5)
        az.set_xlabel("z = w·x + b")
        az.set_ylabel("y = f(z)")

    def update(self):
        self._load(self.value("dataset"))
        self.w = np.array([self.value("w1"), self.value("w2")], dtype=np.float64)
        self.b = float(self.value("b"))
        self.activation = act = self.value("activation")
        threshold = ACTIVATIONS[act][1]
        X, y = self.X, self.y
        self.z = X @ self.w + self.b
        self.out = neuron(X, self.w, self.b, act)
        self.pred = (self.out > threshold).astype(np.int64)
        self.accuracy = float(np.mean(self.pred == y))
        # background: the neuron's output on a grid, colours centred on the threshold
        self.surface = neuron(self.grid_points, self.w, self.b, act).reshape(self.grid, self.grid)
        half = max(float(np.abs(self.surface - threshold).max()), 1e-6)
        self.background.set_data(self.surface)
        self.background.set_clim(threshold - half, threshold + half)
        self.boundary = self._boundary_line()
        self.line.set_data(*self.boundary)
        # right: z against f(z)
        zmax = max(float(np.abs(self.z).max()), 1.0) * 1.1
        zz = np.linspace(-zmax, zmax, 300)
        self.curve.set_data(zz, neuron(zz[:, None], np.ones(1), 0.0, act))
        self.zscatter.set_offsets(np.stack([self.z, self.out], axis=1))
        self.threshold_line.set_ydata([threshold, threshold])
        az = self.axes[1]
        az.set_xlim(-zmax, zmax)
        lo, hi = float(self.curve.get_ydata().min()), float(self.curve.get_ydata().max())
        pad = 0.08 * max(hi - lo, 1e-3)
        az.set_ylim(lo - pad, hi + pad)
        az.set_title(f"f = {act}", fontsize=10)
        self.ax.set_title(f"{self._dataset}: accuracy {self.accuracy:.1%}", fontsize=10)
        self.status.value = (f"accuracy: <b>{self.accuracy:.1%}</b> "
                             f"({int((self.pred == y).sum())}/{len(y)} points on the right side)")

    def _boundary_line(self):
        """Points of w1 x1 + w2 x2 + b = 0 inside the plotted box (empty when w = 0)."""
        (x0, x1, y0, y1), (w1, w2), b = self.extent, self.w, self.b
        if abs(w2) > 1e-12 and abs(w2) >= abs(w1):
            xs = np.array([x0, x1])
            return xs, -(w1 * xs + b) / w2
        if abs(w1) > 1e-12:
            ys = np.array([y0, y1])
            return -(w2 * ys + b) / w1, ys
        return np.array([]), np.array([])
