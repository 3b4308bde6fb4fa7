"""Chapter 03 widget driven headless: every control, and every number against the reference ops and
torch.nn.functional (float64, autograd)."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit.reference import losses as L
from coursekit.widgets import LossExplorer
from coursekit.widgets import losses as wl

TORCH = {
    "mse": lambda x, t, beta: F.mse_loss(x, t, reduction="none"),
    "l1": lambda x, t, beta: F.l1_loss(x, t, reduction="none"),
    "smooth_l1": lambda x, t, beta: F.smooth_l1_loss(x, t, reduction="none", beta=beta),
    "bce_with_logits": lambda z, t, beta: F.binary_cross_entropy_with_logits(z, t, reduction="none"),
    "bce_sigmoid": lambda z, t, beta: F.binary_cross_entropy(torch.sigmoid(z), t, reduction="none"),
    "mse_sigmoid": lambda z, t, beta: F.mse_loss(torch.sigmoid(z), t, reduction="none"),
}
TOL = {"rtol": 1e-10, "atol": 1e-12}


def torch_loss_grad(name, x, target, beta=1.0):
    """Elementwise loss and d loss / d x by PyTorch autograd, float64."""
    xt = torch.tensor(np.atleast_1d(np.asarray(x, dtype=np.float64)), requires_grad=True)
    tt = torch.full_like(xt, float(target)).detach()
    loss = TORCH[name](xt, tt, beta)
    loss.backward(torch.ones_like(loss))
    return loss.detach().numpy(), xt.grad.numpy()


@pytest.fixture
def explorer():
    w = LossExplorer(task="classification", prediction=2.0, target=0.0, beta=1.0, logit=-4.0, label=1.0)
    yield w
    w.close()


def snapshot(w):
    lines = {n: (w.lines[n].get_xdata().copy(), w.lines[n].get_ydata().copy(),
                 w.grad_lines[n].get_ydata().copy()) for n in wl.LOSSES}
    return w.png, w.status.value, w.n_renders, dict(w.losses), dict(w.grads), lines


def assert_consistent(w):
    """State = reference ops = PyTorch; the plot and the status line show the state."""
    y_hat, y = w.value("prediction"), w.value("target")
    z, t = w.value("logit"), w.value("label")
    for name in wl.LOSSES:
        at, tgt = (y_hat, y) if name in wl.REGRESSION else (z, t)
        ref_loss, ref_grad = wl.loss_and_grad(name, np.array([at]), tgt, w.beta)
        assert w.losses[name] == ref_loss[0] and w.grads[name] == ref_grad[0]
        th_loss, th_grad = torch_loss_grad(name, at, tgt, w.beta)
        np.testing.assert_allclose(w.losses[name], th_loss[0], **TOL, err_msg=name)
        np.testing.assert_allclose(w.grads[name], th_grad[0], **TOL, err_msg=name)
    # the chapter's key identity: d BCE-with-logits / dz = sigmoid(z) - t
    np.testing.assert_allclose(w.grads["bce_with_logits"], torch.sigmoid(torch.tensor(z, dtype=torch.float64)).item() - t, **TOL)
    np.testing.assert_allclose(w.p, torch.sigmoid(torch.tensor(z, dtype=torch.float64)).item(), **TOL)

    assert w.names == wl.TASKS[w.task]
    assert w.x == (y_hat if w.task == "regression" else z)
    assert w.x_plot[0] <= w.x <= w.x_plot[-1]
    for name in wl.LOSSES:
        on = name in w.names
        assert w.lines[name].get_visible() == on and w.grad_markers[name].get_visible() == on
        if not on:
            continue
        loss, grad = w.curves[name]
        th_loss, th_grad = torch_loss_grad(name, w.x_plot, w.target, w.beta)
        np.testing.assert_allclose(loss, th_loss, **TOL, err_msg=name)
        if name == "bce_sigmoid":
            # where BCE's backward clamps p (1 - p) at 1e-12, PyTorch's clamp constant is a float32
            # (9.99999996e-13): the two agree to 4e-9 there, not to 1e-10
            p = torch.sigmoid(torch.tensor(w.x_plot)).numpy()
            near_clamp = p * (1 - p) < 1e-11
            np.testing.assert_allclose(grad[near_clamp], th_grad[near_clamp], rtol=1e-7, atol=1e-12)
            grad, th_grad = grad[~near_clamp], th_grad[~near_clamp]
        np.testing.assert_allclose(grad, th_grad, **TOL, err_msg=name)
        np.testing.assert_array_equal(w.lines[name].get_xdata(), w.x_plot)
        np.testing.assert_array_equal(w.lines[name].get_ydata(), loss)
        np.testing.assert_array_equal(w.grad_lines[name].get_ydata(), w.curves[name][1])
        assert list(w.markers[name].get_xdata()) == [w.x] and list(w.markers[name].get_ydata()) == [w.losses[name]]
        assert list(w.grad_markers[name].get_ydata()) == [w.grads[name]]
        assert f"{wl.LABELS[name]}: <b>{w.losses[name]:.4g}</b> (grad {w.grads[name]:.4g})" in w.status.value
    shown = {c for c in w.controls if w.controls[c].layout.display != "none"}
    assert shown == {"task", *wl.CONTROLS[w.task]}


def test_initial_state(explorer):
    assert explorer.n_renders == 1 and explorer.png.startswith(b"\x89PNG")
    assert explorer.task == "classification"
    assert_consistent(explorer)


@pytest.mark.parametrize("task, control, value, changed", [
    ("regression", "prediction", -1.5, {"mse", "l1", "smooth_l1"}),
    ("regression", "target", 1.2, {"mse", "l1", "smooth_l1"}),
    ("regression", "beta", 2.5, {"smooth_l1"}),   # |ŷ - y| = 2 is inside the quadratic zone now
    ("classification", "logit", 3.0, {"bce_with_logits", "bce_sigmoid", "mse_sigmoid"}),
    ("classification", "label", 0.0, {"bce_with_logits", "bce_sigmoid", "mse_sigmoid"}),
    ("classification", "label", 0.3, {"bce_with_logits", "bce_sigmoid", "mse_sigmoid"}),
])
def test_every_control_changes_the_plot_and_the_state(explorer, task, control, value, changed):
    explorer.controls["task"].value = task
    png0, status0, n0, losses0, grads0, lines0 = snapshot(explorer)
    explorer.controls[control].value = value
    assert explorer.n_renders == n0 + 1, "exactly one re-render per control change"
    assert explorer.png != png0 and explorer.png.startswith(b"\x89PNG")
    assert explorer.status.value != status0
    assert {n for n in wl.LOSSES if explorer.losses[n] != losses0[n] or explorer.grads[n] != grads0[n]} == changed
    curves_moved = any(not np.array_equal(explorer.lines[n].get_ydata(), lines0[n][1])
                       or not np.array_equal(explorer.grad_lines[n].get_ydata(), lines0[n][2]) for n in changed)
    markers_moved = any(explorer.markers[n].get_ydata()[0] != losses0[n] for n in changed)
    if control in ("prediction", "logit"):  # in range, the current value moves only the markers
        assert markers_moved and not curves_moved
    else:                                   # the target and beta reshape the curves
        assert curves_moved
    assert_consistent(explorer)


def test_task_switches_curves_axes_and_controls(explorer):
    png0, _, n0, losses0, _, _ = snapshot(explorer)
    explorer.controls["task"].value = "regression"
    assert explorer.n_renders == n0 + 1 and explorer.png != png0
    assert explorer.axes[0].get_xlabel() == "prediction ŷ"
    assert explorer.losses == losses0, "switching the task changes what is shown, not the values"
    assert_consistent(explorer)
    explorer.controls["task"].value = "classification"
    assert explorer.axes[0].get_xlabel() == "logit z"
    assert_consistent(explorer)


def test_hidden_controls_still_update_the_state(explorer):
    explorer.controls["task"].value = "regression"
    explorer.controls["logit"].value = 2.0   # hidden in this task
    assert explorer.losses["bce_with_logits"] == pytest.approx(np.log1p(np.exp(-2.0)))
    assert_consistent(explorer)


def test_values_at_known_points(explorer):
    c = explorer.controls
    c["task"].value = "regression"
    c["prediction"].value, c["target"].value, c["beta"].value = 2.0, 0.5, 1.0
    assert explorer.losses["mse"] == pytest.approx(2.25) and explorer.grads["mse"] == pytest.approx(3.0)
    assert explorer.losses["l1"] == pytest.approx(1.5) and explorer.grads["l1"] == 1.0
    assert explorer.losses["smooth_l1"] == pytest.approx(1.0) and explorer.grads["smooth_l1"] == 1.0
    c["target"].value = 2.0   # a tie: L1's gradient is 0 there, as in PyTorch
    assert explorer.losses["l1"] == 0.0 and explorer.grads["l1"] == 0.0
    c["beta"].value = 0.0     # beta = 0: smooth L1 is L1
    c["target"].value = -1.0
    assert explorer.losses["smooth_l1"] == explorer.losses["l1"] == 3.0
    assert explorer.grads["smooth_l1"] == explorer.grads["l1"] == 1.0
    assert_consistent(explorer)


def test_sigmoid_mse_learns_slowly_when_wrong(explorer):
    explorer.controls["logit"].value = -6.0   # target 1, confidently wrong
    g = explorer.grads
    assert g["bce_with_logits"] < -0.99
    assert abs(g["mse_sigmoid"]) < 0.01 * abs(g["bce_with_logits"])
    assert_consistent(explorer)


def test_naive_bce_on_sigmoid_loses_the_gradient_and_the_loss(explorer):
    c = explorer.controls
    c["logit"].value = -38.0   # sigmoid(-38) ~ 3e-17: p (1 - p) < 1e-12, the clamped backward is ~0
    assert explorer.grads["bce_with_logits"] == pytest.approx(-1.0)
    assert abs(explorer.grads["bce_sigmoid"]) < 1e-3
    c["label"].value = 0.0
    c["logit"].value = 38.0    # sigmoid(38) rounds to 1: log(1 - p) = -inf, clamped at -100
    assert explorer.losses["bce_with_logits"] == pytest.approx(38.0)
    assert explorer.losses["bce_sigmoid"] == 100.0
    assert explorer.x_plot[-1] > 38.0, "the plotted range follows a large logit"
    assert_consistent(explorer)


def test_loss_and_grad_matches_the_reference_ops_directly():
    x = np.linspace(-3, 3, 13)
    loss, grad = wl.loss_and_grad("mse", x, 0.5)
    ref, cache = L.mse_loss_forward(x, np.full_like(x, 0.5), reduction="none")
    np.testing.assert_array_equal(loss, ref)
    np.testing.assert_array_equal(grad, L.mse_loss_backward(np.ones_like(ref), cache))
    loss, grad = wl.loss_and_grad("bce_with_logits", x, 1.0)
    np.testing.assert_allclose(grad, 1 / (1 + np.exp(-x)) - 1.0, rtol=1e-12, atol=1e-15)


def test_bad_arguments():
    with pytest.raises(ValueError, match="task must be one of"):
        LossExplorer(task="ranking")
    with pytest.raises(ValueError, match="name must be one of"):
        wl.loss_and_grad("hinge", np.zeros(3), 0.0)


def test_creates_no_pyplot_figures():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    LossExplorer().close()
    assert plt.get_fignums() == before
