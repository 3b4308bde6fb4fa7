"""Chapter 05: an optimiser race on 2-D loss surfaces, and a live loss plot for training loops."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as W
import numpy as np

from ..reference import optim as O
from .base import PlotWidget


@dataclass(frozen=True)
class Surface:
    """A 2-D loss f(x, y), its gradient, where the race starts, the view, and default settings."""

    label: str
    f: Callable  # (x, y) -> f, elementwise on arrays
    grad: Callable  # (x, y) -> (df/dx, df/dy)
    start: tuple
    xlim: tuple
    ylim: tuple
    f_min: float  # the global minimum's value (losses are plotted as f - f_min)
    lr: float  # default learning rate of the SGD family
    lr_adaptive: float  # default learning rate of RMSprop and Adam
    momentum: float = 0.9
    steps: int = 100
    minima: tuple = ((0.0, 0.0),)


SURFACES = {
    "quadratic": Surface(
        "ill-conditioned quadratic f = 0.1 x² + 2 y² (condition number 20)",
        lambda x, y: 0.1 * x**2 + 2.0 * y**2,
        lambda x, y: (0.2 * x, 4.0 * y),
        start=(-5.0, -2.0), xlim=(-6.0, 2.0), ylim=(-3.0, 3.0), f_min=0.0,
        lr=0.35, lr_adaptive=0.3, momentum=0.4, steps=60),
    "rosenbrock": Surface(
        "Rosenbrock f = (1 - x)² + 100 (y - x²)², minimum at (1, 1)",
        lambda x, y: (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2,
        lambda x, y: (-2.0 * (1.0 - x) - 400.0 * x * (y - x**2), 200.0 * (y - x**2)),
        start=(-1.2, 1.0), xlim=(-2.0, 2.0), ylim=(-1.0, 3.0), f_min=0.0,
        lr=1e-3, lr_adaptive=0.1, momentum=0.9, steps=400, minima=((1.0, 1.0),)),
    "saddle": Surface(
        "saddle f = x² + y⁴/4 - y²/2: a saddle at (0, 0) between minima at (0, ±1)",
        lambda x, y: x**2 + 0.25 * y**4 - 0.5 * y**2,
        lambda x, y: (2.0 * x, y**3 - y),
        start=(-2.0, 1e-3), xlim=(-2.5, 2.5), ylim=(-1.8, 1.8), f_min=-0.25,
        lr=0.05, lr_adaptive=0.05, momentum=0.9, steps=100, minima=((0.0, 1.0), (0.0, -1.0))),
}

OPTIMIZERS = ("SGD", "momentum", "Nesterov", "RMSprop", "Adam")
RMSPROP_ALPHA = 0.9  # PyTorch's 0.99 makes the first steps 10x lr (v starts at 0, no bias correction)
ESCAPE = 1e3  # a path stops (diverged) once a coordinate leaves [-ESCAPE, ESCAPE] or is not finite


def step_functions(lr, lr_adaptive, momentum):
    """name -> (step function, its hyper-parameters) for the racers, from the reference `*_step`s."""
    sgd_m = {"lr": lr, "momentum": momentum}
    return {
        "SGD": (O.sgd_step, {"lr": lr}),
        "momentum": (O.sgd_step, sgd_m),
        "Nesterov": (O.sgd_step, {**sgd_m, "nesterov": momentum > 0}),
        "RMSprop": (O.rmsprop_step, {"lr": lr_adaptive, "alpha": RMSPROP_ALPHA}),
        "Adam": (O.adam_step, {"lr": lr_adaptive}),
    }


def run_path(surface, step, hyper, steps, start=None):
    """Positions (k + 1, 2) visited by `steps` updates from `start` (default the surface's), and
    whether it diverged (stopped early: k < steps)."""
    s = SURFACES[surface] if isinstance(surface, str) else surface
    p = np.array(s.start if start is None else start, dtype=np.float64)
    path, state = [p], None
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            g = np.array(s.grad(*p), dtype=np.float64)
            p, state = step(p, g, state, **hyper)
            if not np.all(np.isfinite(p)) or np.abs(p).max() > ESCAPE:
                return np.array(path), True
            path.append(p)
    return np.array(path), False


def race(surface, lr, lr_adaptive, momentum, steps):
    """Run every racer; returns (paths, diverged): name -> (k + 1, 2) array, name -> bool."""
    paths, diverged = {}, {}
    for name, (fn, hyper) in step_functions(lr, lr_adaptive, momentum).items():
        paths[name], diverged[name] = run_path(surface, fn, hyper, steps)
    return paths, diverged


class OptimizerRace(PlotWidget):
    """SGD, momentum, Nesterov, RMSprop and Adam race from one start on a 2-D surface.

    Controls: `surface` (quadratic, rosenbrock, saddle; choosing one resets the sliders to its
    defaults), `lr` (SGD, momentum, Nesterov), `lr_adaptive` (RMSprop, Adam: their steps are about
    lr per coordinate whatever the gradient's scale, so their lr lives on another scale),
    `momentum` (momentum and Nesterov; Adam keeps beta1 = 0.9), `steps`.
    Left: contours and the paths. Right: f - f_min along each path (log scale).
    State after each change: `paths`, `losses` (f along each path), `final_losses`, `diverged`.
    """

    def __init__(self, surface="rosenbrock", lr=None, lr_adaptive=None, momentum=None, steps=None):
        if surface not in SURFACES:
            raise ValueError(f"surface must be one of {', '.join(SURFACES)}, got {surface!r}")
        s = SURFACES[surface]
        self._drawn_surface = None
        wide = W.Layout(width="330px")
        controls = {
            "surface": W.Dropdown(options=list(SURFACES), value=surface, description="surface",
                                  layout=W.Layout(width="220px")),
            "lr": W.FloatLogSlider(value=s.lr if lr is None else lr, base=10, min=-4, max=0, step=0.05,
                                   description="lr (SGD)", readout_format=".2g", layout=wide,
                                   style={"description_width": "95px"}),
            "lr_adaptive": W.FloatLogSlider(value=s.lr_adaptive if lr_adaptive is None else lr_adaptive,
                                            base=10, min=-4, max=0, step=0.05, description="lr (adaptive)",
                                            readout_format=".2g", layout=wide,
                                            style={"description_width": "95px"}),
            "momentum": W.FloatSlider(value=s.momentum if momentum is None else momentum, min=0.0, max=0.99,
                                      step=0.01, description="momentum", layout=wide,
                                      style={"description_width": "95px"}),
            "steps": W.IntSlider(value=s.steps if steps is None else steps, min=1, max=500, step=1,
                                 description="steps", layout=wide, style={"description_width": "95px"}),
        }
        super().__init__(controls, ncols=2, figsize=(10.0, 4.2), title="Optimiser race")

    def _changed(self, change) -> None:
        if change.owner is self.controls["surface"]:  # new surface: its default settings, one render
            s = SURFACES[change.new]
            with self.quiet():
                for name in ("lr", "lr_adaptive", "momentum", "steps"):
                    self.controls[name].value = getattr(s, name)
        self.refresh()

    def setup(self):
        ax, al = self.axes
        self.lines, self.loss_lines = {}, {}
        for i, name in enumerate(OPTIMIZERS):
            (self.lines[name],) = ax.plot([], [], "-o", ms=2, lw=1.3, color=f"C{i}", label=name)
            (self.loss_lines[name],) = al.plot([], [], lw=1.5, color=f"C{i}", label=name)
        (self.start_marker,) = ax.plot([], [], "k*", ms=12, zorder=5)
        (self.min_marker,) = ax.plot([], [], "kX", ms=9, zorder=5)
        self.contours = []
        al.set_yscale("log")
        al.set_xlabel("step")
        al.set_ylabel("f - f_min")
        al.grid(True, which="major", alpha=0.3)
        ax.legend(loc="upper right", fontsize=8)

    def _draw_surface(self, s):
        for c in self.contours:
            c.remove()
        gx, gy = np.meshgrid(np.linspace(*s.xlim, 200), np.linspace(*s.ylim, 200))
        z = np.log(s.f(gx, gy) - s.f_min + 1e-2)
        self.contours = [self.ax.contourf(gx, gy, z, levels=25, cmap="Greys", alpha=0.35, zorder=0),
                         self.ax.contour(gx, gy, z, levels=25, colors="0.5", linewidths=0.5, zorder=1)]
        self.ax.set_xlim(*s.xlim)
        self.ax.set_ylim(*s.ylim)
        self.ax.set_title(s.label, fontsize=9)
        self.start_marker.set_data([s.start[0]], [s.start[1]])
        self.min_marker.set_data([m[0] for m in s.minima], [m[1] for m in s.minima])

    def update(self):
        self.surface = name = self.value("surface")
        s = SURFACES[name]
        if name != self._drawn_surface:
            self._draw_surface(s)
            self._drawn_surface = name
        self.lr, self.lr_adaptive = float(self.value("lr")), float(self.value("lr_adaptive"))
        self.momentum, self.steps = float(self.value("momentum")), int(self.value("steps"))
        self.paths, self.diverged = race(name, self.lr, self.lr_adaptive, self.momentum, self.steps)
        self.losses = {k: s.f(p[:, 0], p[:, 1]) for k, p in self.paths.items()}
        self.final_losses = {k: float(v[-1]) for k, v in self.losses.items()}
        lo = np.inf
        for k, p in self.paths.items():
            self.lines[k].set_data(p[:, 0], p[:, 1])
            gap = np.maximum(self.losses[k] - s.f_min, 1e-12)
            self.loss_lines[k].set_data(np.arange(len(gap)), gap)
            lo = min(lo, gap.min())
        al = self.axes[1]
        hi = max(float(np.max(v - s.f_min)) for v in self.losses.values())
        al.set_xlim(0, max(self.steps, 1))
        al.set_ylim(max(lo, 1e-12) / 3, max(hi, 1e-11) * 3)
        al.set_title(f"loss along the path ({self.steps} steps)", fontsize=9)
        parts = []
        for k in OPTIMIZERS:
            tail = " <i>(diverged)</i>" if self.diverged[k] else ""
            parts.append(f"{k}: <b>{self.final_losses[k]:.3g}</b>{tail}")
        self.status.value = "final f: " + " &nbsp; ".join(parts)


class LiveLossPlot(PlotWidget):
    """Loss and accuracy curves that redraw in place while a model trains.

        plot = LiveLossPlot()
        params, hist = fit(..., callback=plot)   # after each epoch: plot(epoch, hist)

    In a notebook the figure is ONE output that is updated (and stays as a PNG in the saved
    notebook); elsewhere it only renders (`png`). `every`: redraw every that many epochs (and at
    the last, `epochs`, when given). A `PlotWidget` without controls: nothing is rendered before
    the first drawn epoch. State after each drawn epoch: `epoch`, `hist`, `lines` (key -> Line2D).
    """

    KEYS = {"train_loss": "C0-", "test_loss": "C1-", "train_acc": "C0-", "test_acc": "C1-"}

    def __init__(self, title="training", every=1, epochs=None, figsize=(8.0, 3.0), dpi=80):
        self.every, self.epochs = every, epochs
        self.epoch, self.hist, self._handle = None, None, None
        super().__init__({}, ncols=2, figsize=figsize, dpi=dpi, title=title, lazy=True)

    def __call__(self, epoch, hist):
        if epoch % self.every and epoch != self.epochs:
            return
        self.epoch, self.hist = epoch, hist
        self.refresh()

    def setup(self):
        self.ax_loss, self.ax_acc = self.axes
        self.fig.suptitle(self.title, fontsize=10)
        self.lines = {}
        for key, style in self.KEYS.items():
            ax = self.ax_loss if key.endswith("_loss") else self.ax_acc
            (self.lines[key],) = ax.plot([], [], style, label=key.split("_")[0])
        self.ax_loss.set(xlabel="epoch", ylabel="cross-entropy", yscale="log")
        self.ax_acc.set(xlabel="epoch", ylabel="accuracy")
        for ax in self.axes:
            ax.legend(fontsize=8)
            ax.grid(alpha=0.3)

    def update(self):
        hist = self.hist
        for key, line in self.lines.items():
            line.set_data(hist["epoch"][: len(hist[key])], hist[key])
        for ax in self.axes:
            ax.relim()
            ax.autoscale_view()
        self.ax_acc.set_title(f"epoch {self.epoch}: " + ", ".join(
            f"{k} {hist[k][-1]:.3f}" for k in ("train_acc", "test_acc") if hist[k]), fontsize=9)

    def publish(self):
        """In a notebook: the first drawn epoch displays the PNG, later ones update that output."""
        try:
            from IPython import get_ipython
            from IPython.display import Image, display
        except ImportError:  # pragma: no cover - IPython comes with ipywidgets
            return
        if get_ipython() is None:
            return
        if self._handle is None:
            self._handle = display(Image(data=self.png), display_id=True)
        else:
            self._handle.update(Image(data=self.png))

    def _ipython_display_(self):
        """`plot` as a cell's last expression: the curves so far, the output later epochs update."""
        from IPython.display import Image, display

        self._handle = display(Image(data=self.png) if self.png else repr(self), display_id=True)
