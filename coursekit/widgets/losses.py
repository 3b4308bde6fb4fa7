"""Chapter 03: one prediction vs one target - every loss and its gradient, side by side.

Regression: slide the prediction y_hat against a target y; MSE, L1 and smooth L1 (beta).
Classification: slide the logit z against a target t in [0, 1]; BCE with logits, BCE on
sigmoid(z) (the naive composition, which loses its gradient for |z| > ~35), and MSE on sigmoid(z)
(learns slowly when wrong). Every number comes from the reference forward/backward functions.
"""
from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..reference import activations as A
from ..reference import losses as L
from .base import PlotWidget

REGRESSION = ("mse", "l1", "smooth_l1")
CLASSIFICATION = ("bce_with_logits", "bce_sigmoid", "mse_sigmoid")
LOSSES = REGRESSION + CLASSIFICATION
TASKS = {"regression": REGRESSION, "classification": CLASSIFICATION}
LABELS = {
    "mse": "MSE", "l1": "L1", "smooth_l1": "smooth L1",
    "bce_with_logits": "BCE with logits", "bce_sigmoid": "BCE(sigmoid(z))",
    "mse_sigmoid": "MSE(sigmoid(z))",
}
CONTROLS = {"regression": ("prediction", "target", "beta"), "classification": ("logit", "label")}
REGRESSION_RANGE = (-5.0, 5.0)  # the prediction slider's range, also the plotted range
LOGIT_MAX = 40.0
_DIRECT = {"mse": (L.mse_loss_forward, L.mse_loss_backward),
           "l1": (L.l1_loss_forward, L.l1_loss_backward),
           "bce_with_logits": (L.binary_cross_entropy_with_logits_forward,
                               L.binary_cross_entropy_with_logits_backward)}


def loss_and_grad(name, x, target, beta=1.0):
    """Elementwise loss `name` at predictions (or logits) `x` against `target`, and its gradient.

    x: array of any shape; target: a number or an array of x's shape. Returns (loss, dloss/dx), both
    shaped like x, computed with the reference forwards (reduction="none") and their backwards
    (upstream gradient of ones). For the "_sigmoid" losses the gradient is with respect to the
    logit, chained through the reference sigmoid backward.
    """
    x = np.asarray(x, dtype=np.float64)
    t = np.broadcast_to(np.asarray(target, dtype=np.float64), x.shape).copy()
    if name not in LOSSES:
        raise ValueError(f"name must be one of {', '.join(LOSSES)}, got {name!r}")
    if name == "smooth_l1":
        loss, cache = L.smooth_l1_loss_forward(x, t, reduction="none", beta=beta)
        return loss, L.smooth_l1_loss_backward(np.ones_like(loss), cache)
    if name in _DIRECT:
        fwd, bwd = _DIRECT[name]
        loss, cache = fwd(x, t, reduction="none")
        return loss, bwd(np.ones_like(loss), cache)
    p, p_cache = A.sigmoid_forward(x)
    if name == "bce_sigmoid":
        loss, cache = L.binary_cross_entropy_forward(p, t, reduction="none")
        dp = L.binary_cross_entropy_backward(np.ones_like(loss), cache)
    else:  # mse_sigmoid
        loss, cache = L.mse_loss_forward(p, t, reduction="none")
        dp = L.mse_loss_backward(np.ones_like(loss), cache)
    return loss, A.sigmoid_backward(dp, p_cache)


class LossExplorer(PlotWidget):
    """One prediction vs one target: each loss and its gradient, side by side.

    Choose the task. Regression: slide the prediction y_hat, the target y and smooth L1's beta.
    Classification: slide the logit z and the target t (0 or 1, or a soft label between).
    Left: the loss curves over the prediction (logit) range, a marker at the current value.
    Right: the gradient of each loss with respect to the prediction (logit), a marker likewise.
    Only the current task's controls are shown.

    State after each change: `task`, `x` (current prediction or logit), `target`, `beta`, `p`
    (sigmoid of the logit), `losses` and `grads` (dicts: loss name -> float, all six losses, each
    with its own task's controls), `names` (the plotted losses), `x_plot`, `curves`
    (name -> (loss, grad) arrays over `x_plot`).
    """

    def __init__(self, task="classification", prediction=2.0, target=0.0, beta=1.0, logit=-4.0,
                 label=1.0):
        if task not in TASKS:
            raise ValueError(f"task must be one of {', '.join(TASKS)}, got {task!r}")

        def slider(value, lo, hi, step, description, fmt):
            # each its own Layout: hiding one control must not hide the others
            return W.FloatSlider(value=value, min=lo, max=hi, step=step, description=description,
                                 readout_format=fmt, layout=W.Layout(width="300px"),
                                 style={"description_width": "90px"})

        controls = {
            "task": W.ToggleButtons(options=list(TASKS), value=task, description="task",
                                    style={"button_width": "110px"}),
            "prediction": slider(prediction, *REGRESSION_RANGE, 0.05, "prediction ŷ", ".2f"),
            "target": slider(target, -3.0, 3.0, 0.1, "target y", ".1f"),
            "beta": slider(beta, 0.0, 3.0, 0.1, "β (smooth L1)", ".1f"),
            "logit": slider(logit, -LOGIT_MAX, LOGIT_MAX, 0.1, "logit z", ".1f"),
            "label": slider(label, 0.0, 1.0, 0.05, "target t", ".2f"),
        }
        super().__init__(controls, ncols=2, figsize=(10.0, 3.8),
                         title="Loss explorer: one prediction vs one target")

    def setup(self):
        ax, ag = self.axes
        self.lines, self.grad_lines, self.markers, self.grad_markers = {}, {}, {}, {}
        for i, name in enumerate(LOSSES):
            color, style = f"C{i % 3}", "-" if i % 3 == 0 else ("--" if i % 3 == 1 else ":")
            (self.lines[name],) = ax.plot([], [], color=color, ls=style, lw=2, label=LABELS[name])
            (self.grad_lines[name],) = ag.plot([], [], color=color, ls=style, lw=2,
                                               label=LABELS[name])
            (self.markers[name],) = ax.plot([], [], "o", color=color, ms=7)
            (self.grad_markers[name],) = ag.plot([], [], "o", color=color, ms=7)
        self.vlines = [a.axvline(0.0, color="k", lw=0.8, alpha=0.6) for a in self.axes]
        self.target_lines = [a.axvline(0.0, color="gray", lw=0.8, ls="--") for a in self.axes]
        for a in self.axes:
            a.axhline(0.0, color="gray", lw=0.5)

    def _show_controls(self):
        active = CONTROLS[self.task]
        for name in ("prediction", "target", "beta", "logit", "label"):
            self.controls[name].layout.display = None if name in active else "none"

    def update(self):
        self.task = self.value("task")
        self.beta = float(self.value("beta"))
        y_hat, y = float(self.value("prediction")), float(self.value("target"))
        z, t = float(self.value("logit")), float(self.value("label"))
        self.p = float(A.sigmoid_forward(np.array([z]))[0][0])
        self.losses, self.grads = {}, {}
        for name in LOSSES:
            at, tgt = (y_hat, y) if name in REGRESSION else (z, t)
            loss, grad = loss_and_grad(name, np.array([at]), tgt, self.beta)
            self.losses[name], self.grads[name] = float(loss[0]), float(grad[0])
        self._show_controls()

        regression = self.task == "regression"
        self.names = TASKS[self.task]
        self.x, self.target = (y_hat, y) if regression else (z, t)
        if regression:
            lo, hi = REGRESSION_RANGE
        else:
            half = max(8.0, 1.15 * abs(z))
            lo, hi = -half, half
        self.x_plot = np.linspace(lo, hi, 801)
        self.curves = {n: loss_and_grad(n, self.x_plot, self.target, self.beta) for n in self.names}
        self._draw_curves(regression)
        self._set_limits(lo, hi, regression)
        self._label(regression)
        if regression:
            head = f"ŷ = {y_hat:.2f}, y = {y:.1f}, β = {self.beta:.1f}"
        else:
            head = f"z = {z:.1f}, p = sigmoid(z) = {self.p:.4g}, t = {t:.2f}"
        parts = [f"{LABELS[n]}: <b>{self.losses[n]:.4g}</b> (grad {self.grads[n]:.4g})"
                 for n in self.names]
        self.status.value = head + " &nbsp;|&nbsp; " + " &nbsp; ".join(parts)

    def _draw_curves(self, regression):
        """The current task's curves and markers (the other task's hidden), the value and target lines."""
        for name in LOSSES:
            on = name in self.names
            for artists in (self.lines, self.grad_lines, self.markers, self.grad_markers):
                artists[name].set_visible(on)
            if on:
                loss, grad = self.curves[name]
                self.lines[name].set_data(self.x_plot, loss)
                self.grad_lines[name].set_data(self.x_plot, grad)
                self.markers[name].set_data([self.x], [self.losses[name]])
                self.grad_markers[name].set_data([self.x], [self.grads[name]])
        for v in self.vlines:
            v.set_xdata([self.x, self.x])
        for v in self.target_lines:  # the target on the prediction axis (regression only)
            v.set_xdata([self.target, self.target])
            v.set_visible(regression)

    def _set_limits(self, lo, hi, regression):
        ax, ag = self.axes
        # y limits: every curve in view, except BCE(sigmoid(z))'s jump to the log clamp at 100
        # (t < 1 and z > ~37, where sigmoid(z) rounds to 1): that line leaves through the top
        top = max(float(self.curves[n][0].max()) for n in self.names if n != "bce_sigmoid")
        if not regression:
            top = max(top, float(self.curves["bce_with_logits"][0].max()))
        ax.set_xlim(lo, hi)
        ax.set_ylim(-0.04 * top, 1.1 * top)
        g_lo = min(float(self.curves[n][1].min()) for n in self.names)
        g_hi = max(float(self.curves[n][1].max()) for n in self.names)
        pad = 0.08 * max(g_hi - g_lo, 1e-3)
        ag.set_xlim(lo, hi)
        ag.set_ylim(g_lo - pad, g_hi + pad)

    def _label(self, regression):
        """Axis labels, titles and legends for the current task."""
        ax, ag = self.axes
        xlabel = "prediction ŷ" if regression else "logit z"
        ax.set_xlabel(xlabel)
        ag.set_xlabel(xlabel)
        if regression:
            ax.set_title(f"loss vs ŷ (target y = {self.target:g})", fontsize=10)
            ag.set_title("gradient dL/dŷ", fontsize=10)
        else:
            ax.set_title(f"loss vs z (target t = {self.target:g}; p = sigmoid(z))", fontsize=10)
            ag.set_title("gradient dL/dz", fontsize=10)
        ax.legend(handles=[self.lines[n] for n in self.names], loc="upper center", fontsize=8)
        ag.legend(handles=[self.grad_lines[n] for n in self.names], loc="best", fontsize=8)
