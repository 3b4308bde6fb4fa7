"""Chapter 05 widgets driven headless: the optimiser race and the live loss plot."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from coursekit.reference import optim as O
from coursekit.widgets import OptimizerRace, PlotWidget
from coursekit.widgets import optim as wo
from coursekit.widgets.optim import OPTIMIZERS, SURFACES, LiveLossPlot


@pytest.fixture
def race():
    w = OptimizerRace(surface="quadratic")
    yield w
    w.close()


def snapshot(w):
    return w.png, w.status.value, w.n_renders, {k: p.copy() for k, p in w.paths.items()}


def assert_consistent(w):
    """The drawn lines, losses and status are the widget's state, and the state is the reference's."""
    s = SURFACES[w.surface]
    expected, diverged = wo.race(w.surface, w.lr, w.lr_adaptive, w.momentum, w.steps)
    assert w.diverged == diverged
    for k in OPTIMIZERS:
        np.testing.assert_array_equal(w.paths[k], expected[k])
        np.testing.assert_array_equal(w.lines[k].get_xdata(), w.paths[k][:, 0])
        np.testing.assert_array_equal(w.lines[k].get_ydata(), w.paths[k][:, 1])
        np.testing.assert_array_equal(w.losses[k], s.f(w.paths[k][:, 0], w.paths[k][:, 1]))
        assert w.final_losses[k] == w.losses[k][-1]
        np.testing.assert_allclose(w.loss_lines[k].get_ydata(), np.maximum(w.losses[k] - s.f_min, 1e-12))
        assert f"{k}: <b>{w.final_losses[k]:.3g}</b>" in w.status.value
        assert len(w.paths[k]) == w.steps + 1 or w.diverged[k]


@pytest.mark.parametrize("control, value", [("lr", 0.05), ("lr_adaptive", 0.02), ("momentum", 0.9),
                                            ("steps", 10), ("surface", "rosenbrock"), ("surface", "saddle")])
def test_every_control_changes_the_race(race, control, value):
    png0, status0, n0, paths0 = snapshot(race)
    race.controls[control].value = value
    assert race.n_renders == n0 + 1, "exactly one re-render per control change"
    assert race.png != png0 and race.png.startswith(b"\x89PNG")
    assert race.status.value != status0
    changed = [k for k in OPTIMIZERS if race.paths[k].shape != paths0[k].shape
               or not np.array_equal(race.paths[k], paths0[k])]
    expected = {"lr": {"SGD", "momentum", "Nesterov"}, "lr_adaptive": {"RMSprop", "Adam"},
                "momentum": {"momentum", "Nesterov"}}.get(control, set(OPTIMIZERS))
    assert set(changed) == expected
    assert_consistent(race)


def test_surface_resets_the_sliders_to_its_defaults_in_one_render(race):
    race.controls["lr"].value = 0.001
    n = race.n_renders
    race.controls["surface"].value = "rosenbrock"
    assert race.n_renders == n + 1
    s = SURFACES["rosenbrock"]
    assert (race.lr, race.lr_adaptive, race.momentum, race.steps) == pytest.approx(
        (s.lr, s.lr_adaptive, s.momentum, s.steps), rel=1e-9)
    assert race.paths["SGD"][0].tolist() == list(s.start)
    assert race.ax.get_xlim() == s.xlim and race.ax.get_ylim() == s.ylim
    assert "Rosenbrock" in race.ax.get_title()
    assert_consistent(race)


def test_sgd_on_the_quadratic_is_the_closed_form(race):
    """f = 0.1 x^2 + 2 y^2: SGD multiplies x by (1 - 0.2 lr) and y by (1 - 4 lr) each step."""
    race.controls["lr"].value = 0.3
    race.controls["steps"].value = 25
    k = np.arange(26)
    x0, y0 = SURFACES["quadratic"].start
    np.testing.assert_allclose(race.paths["SGD"][:, 0], x0 * (1 - 0.2 * 0.3) ** k, rtol=1e-12)
    np.testing.assert_allclose(race.paths["SGD"][:, 1], y0 * (1 - 4 * 0.3) ** k, rtol=1e-12, atol=1e-15)


def test_tiny_lr_barely_moves(race):
    race.controls["lr"].value = 1e-4
    race.controls["lr_adaptive"].value = 1e-4
    race.controls["steps"].value = 20
    for k in OPTIMIZERS:
        moved = np.abs(race.paths[k] - race.paths[k][0]).max()
        assert moved < 0.05, (k, moved)
    # plain SGD: 20 steps of lr * gradient, gradient (0.2 x, 4 y) at the start = (-1, -8)
    assert np.abs(race.paths["SGD"][-1] - race.paths["SGD"][0]).max() < 20 * 1e-4 * 8 * 1.01
    s = SURFACES["quadratic"]
    assert race.final_losses["SGD"] == pytest.approx(s.f(*s.start), rel=0.02)  # df ~ lr |g|^2 steps = 0.13


@pytest.mark.parametrize("surface", list(SURFACES))
def test_adam_first_step_is_lr_per_coordinate(race, surface):
    race.controls["surface"].value = surface
    race.controls["steps"].value = 1
    race.controls["lr_adaptive"].value = 0.05
    s = SURFACES[surface]
    step = race.paths["Adam"][1] - race.paths["Adam"][0]
    g = np.array(s.grad(*s.start))
    # m_hat = g, v_hat = g^2 on step 1: the update is -lr * g / (|g| + eps) = -lr * sign(g)
    np.testing.assert_allclose(step, -0.05 * np.sign(g), rtol=1e-5)
    np.testing.assert_allclose(np.abs(step), 0.05, rtol=1e-5)


def test_zero_momentum_makes_momentum_and_nesterov_plain_sgd(race):
    race.controls["momentum"].value = 0.0
    np.testing.assert_array_equal(race.paths["momentum"], race.paths["SGD"])
    np.testing.assert_array_equal(race.paths["Nesterov"], race.paths["SGD"])
    race.controls["momentum"].value = 0.5
    assert not np.array_equal(race.paths["momentum"], race.paths["SGD"])
    assert not np.array_equal(race.paths["Nesterov"], race.paths["momentum"])


def test_paths_follow_the_reference_steps(race):
    race.controls["surface"].value = "rosenbrock"
    race.controls["steps"].value = 30
    s = SURFACES["rosenbrock"]
    p, state, path = np.array(s.start), None, [np.array(s.start)]
    for _ in range(30):
        p, state = O.adam_step(p, np.array(s.grad(*p)), state, lr=race.lr_adaptive)
        path.append(p)
    np.testing.assert_array_equal(race.paths["Adam"], np.array(path))
    p, state = np.array(s.start), None
    for _ in range(30):
        p, state = O.rmsprop_step(p, np.array(s.grad(*p)), state, lr=race.lr_adaptive, alpha=wo.RMSPROP_ALPHA)
    np.testing.assert_array_equal(race.paths["RMSprop"][-1], p)


def test_large_lr_diverges_and_says_so(race):
    race.controls["lr"].value = 1.0  # y is multiplied by (1 - 4) = -3 each step
    assert race.diverged["SGD"] and race.diverged["momentum"]
    assert not race.diverged["Adam"]
    assert len(race.paths["SGD"]) < race.steps + 1
    assert np.all(np.isfinite(race.paths["SGD"])) and np.abs(race.paths["SGD"]).max() <= wo.ESCAPE
    assert "diverged" in race.status.value
    assert_consistent(race)


def test_momentum_beats_sgd_in_the_rosenbrock_valley_and_escapes_the_saddle(race):
    race.controls["surface"].value = "rosenbrock"
    assert race.final_losses["momentum"] < 0.1 * race.final_losses["SGD"]
    race.controls["surface"].value = "saddle"
    race.controls["lr"].value = 0.02
    race.controls["steps"].value = 60
    # plain SGD lingers at the saddle (f near 0), Adam reaches a minimum (f = -1/4)
    assert race.final_losses["SGD"] > -0.05
    assert race.final_losses["Adam"] < -0.24


def test_bad_arguments_and_no_pyplot_figures():
    import matplotlib.pyplot as plt

    with pytest.raises(ValueError, match="surface"):
        OptimizerRace(surface="himmelblau")
    before = plt.get_fignums()
    w = OptimizerRace(surface="saddle", lr=0.01, steps=5)
    assert plt.get_fignums() == before
    assert w.lr == pytest.approx(0.01) and w.steps == 5 and len(w.paths["SGD"]) == 6
    w.close()


def test_run_path_reports_divergence():
    path, diverged = wo.run_path("quadratic", O.sgd_step, {"lr": 2.0}, 100)
    assert diverged and len(path) < 101
    path, diverged = wo.run_path("quadratic", O.sgd_step, {"lr": 0.1}, 100, start=(1.0, 1.0))
    assert not diverged and path.shape == (101, 2) and path[0].tolist() == [1.0, 1.0]


# ------------------------------------------------------------------ LiveLossPlot

def history(n):
    e = list(range(1, n + 1))
    return {"epoch": e, "train_loss": [1.0 / k for k in e], "test_loss": [1.2 / k for k in e],
            "train_acc": [1 - 0.5 / k for k in e], "test_acc": [1 - 0.6 / k for k in e]}


def test_live_loss_plot_redraws_with_the_history():
    plot = LiveLossPlot(every=2, epochs=5)
    assert isinstance(plot, PlotWidget) and plot.n_renders == 0 and plot.png == b""  # nothing before an epoch
    plot(1, history(1))
    assert plot.n_renders == 0  # only every 2nd epoch
    plot(2, history(2))
    png2 = plot.png
    assert plot.n_renders == 1 and png2.startswith(b"\x89PNG")
    np.testing.assert_array_equal(plot.lines["test_loss"].get_ydata(), [1.2, 0.6])
    plot(4, history(4))
    plot(5, history(5))  # the last epoch is always drawn
    assert plot.n_renders == 3 and plot.png != png2
    np.testing.assert_array_equal(plot.lines["train_acc"].get_xdata(), [1, 2, 3, 4, 5])
    assert "test_acc 0.880" in plot.ax_acc.get_title() and plot.fig.get_suptitle() == "training"
    plot.close()


def test_live_loss_plot_without_test_set():
    plot = LiveLossPlot()
    h = history(3)
    h["test_loss"], h["test_acc"] = [], []
    plot(3, h)
    assert len(plot.lines["test_loss"].get_xdata()) == 0 and plot.n_renders == 1
