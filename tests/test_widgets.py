"""Widgets driven headless: set a control's value, check the state, the plot and the label."""
import matplotlib

matplotlib.use("Agg")

import ipywidgets as W
import numpy as np
import pytest

from coursekit import data
from coursekit.reference import activations as A
from coursekit.reference.neurons import neuron_forward
from coursekit.widgets import ActivationExplorer, NeuronPlayground, PlotWidget
from coursekit.widgets import activations as wa
from coursekit.widgets import neurons as wn
from coursekit.widgets.base import check_int, check_number


def snapshot(w):
    lines = [(np.array(ln.get_xdata()), np.array(ln.get_ydata())) for ax in w.axes for ln in ax.lines]
    return w.png, w.status.value, w.n_renders, lines


def assert_changed(before, after):
    png0, status0, n0, lines0 = before
    png1, status1, n1, lines1 = after
    assert n1 == n0 + 1, "exactly one re-render per control change"
    assert png1 != png0, "the plot image did not change"
    assert png1.startswith(b"\x89PNG")
    changed = len(lines0) != len(lines1) or any(
        a[0].shape != b[0].shape or not np.array_equal(a[0], b[0]) or not np.array_equal(a[1], b[1])
        for a, b in zip(lines0, lines1))
    return changed, status1 != status0


# ------------------------------------------------------------------ base

class Counter(PlotWidget):
    def __init__(self):
        super().__init__({"k": W.IntSlider(value=1, min=0, max=10)})

    def setup(self):
        (self.line,) = self.ax.plot([], [])

    def update(self):
        k = self.value("k")
        self.line.set_data(np.arange(5), k * np.arange(5))
        self.ax.set_ylim(0, 50)
        self.status.value = f"k = {k}"


def test_base_renders_on_construction_and_on_change():
    c = Counter()
    assert c.n_renders == 1 and c.png.startswith(b"\x89PNG") and c.image.value == c.png
    assert c.status.value == "k = 1"
    c.controls["k"].value = 7
    assert c.n_renders == 2 and c.status.value == "k = 7"
    np.testing.assert_array_equal(c.line.get_ydata(), 7 * np.arange(5))
    box = c.widget
    assert isinstance(box, W.VBox) and c.image in box.children and c.status in box.children
    assert c.widget is box
    c._ipython_display_()  # outside a kernel IPython prints a text repr; it must not fail
    c.close()


def test_base_requires_update():
    class Bare(PlotWidget):
        pass

    with pytest.raises(NotImplementedError):
        Bare({})


def test_quiet_ignores_the_widgets_own_control_changes_and_nests():
    c = Counter()
    with c.quiet():
        c.controls["k"].value = 3
        with c.quiet():
            c.controls["k"].value = 4
        c.controls["k"].value = 5  # still quiet: the outer block is open
    assert c.n_renders == 1 and c.status.value == "k = 1"
    with pytest.raises(RuntimeError), c.quiet():
        raise RuntimeError("left on an exception")
    c.controls["k"].value = 6
    assert c.n_renders == 2 and c.status.value == "k = 6"
    c.close()


def test_show_error_and_shared_checks():
    c = Counter()
    c.show_error("bad <token> 'x'")
    assert c.error == "bad <token> 'x'" and "color:#c00" in c.status.value
    assert "bad &lt;token&gt; 'x'" in c.status.value
    c.close()
    assert check_int("n", 3, 0, 5) == 3 and isinstance(check_number("s", 1, 0.0, 2.0), float)
    for bad in (True, 2.0, -1, 6, "3"):
        with pytest.raises(ValueError, match=r"n must be an int in \[0, 5\]"):
            check_int("n", bad, 0, 5)
    for bad in (False, 2.5, "1", None):
        with pytest.raises(ValueError, match=r"s must be a number in \[0.0, 2.0\]"):
            check_number("s", bad, 0.0, 2.0)


def test_widgets_create_no_pyplot_figures():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    NeuronPlayground(grid=20)
    ActivationExplorer(n=500)
    assert plt.get_fignums() == before, "widgets must not create pyplot figures (they would show twice)"


# ------------------------------------------------------------------ NeuronPlayground

@pytest.fixture
def playground():
    w = NeuronPlayground(w1=1.0, w2=-1.0, b=0.0, activation="sigmoid", dataset="linear", grid=40)
    yield w
    w.close()


def expected_accuracy(X, y, w, b, activation):
    name, threshold = {"sigmoid": ("sigmoid", 0.5), "tanh": ("tanh", 0.0), "relu": ("relu", 0.0),
                       "linear": (None, 0.0)}[activation]
    out = neuron_forward(X, np.array(w), b, activation=name)
    return float(np.mean((out > threshold) == (y == 1)))


@pytest.mark.parametrize("control, value", [("w1", 2.5), ("w2", -3.0), ("b", 0.7),
                                            ("activation", "tanh"), ("activation", "relu"),
                                            ("activation", "linear"), ("activation", "step"),
                                            ("dataset", "moons"), ("dataset", "xor"),
                                            ("dataset", "spirals"), ("dataset", "blobs")])
def test_playground_every_control_changes_the_plot(playground, control, value):
    before = snapshot(playground)
    playground.controls[control].value = value
    lines_changed, _status_changed = assert_changed(before, snapshot(playground))
    assert lines_changed
    act = playground.activation
    X, y = playground.X, playground.y
    if act != "step":
        assert playground.accuracy == expected_accuracy(X, y, playground.w, playground.b, act)
    else:  # the step neuron fires where z > 0
        assert playground.accuracy == float(np.mean((X @ playground.w + playground.b > 0) == (y == 1)))
    assert f"{playground.accuracy:.1%}" in playground.status.value


def test_playground_dataset_comes_from_coursekit_data(playground):
    playground.controls["dataset"].value = "moons"
    X, y = data.moons(n=200, noise=0.15, seed=0)
    np.testing.assert_array_equal(playground.X, X)
    np.testing.assert_array_equal(playground.y, y)
    np.testing.assert_array_equal(playground.scatter.get_offsets(), X)


def test_playground_accuracy_label_and_boundary(playground):
    # flipping the sign of w and b flips every prediction: accuracy a -> 1 - a
    c = playground.controls
    c["w1"].value, c["w2"].value, c["b"].value = 1.5, 0.5, 0.2
    a = playground.accuracy
    status = playground.status.value
    c["w1"].value, c["w2"].value, c["b"].value = -1.5, -0.5, -0.2
    assert playground.accuracy == pytest.approx(1 - a)
    assert playground.status.value != status
    # the drawn boundary satisfies w . x + b = 0
    bx, by = playground.boundary
    np.testing.assert_allclose(-1.5 * bx - 0.5 * by - 0.2, 0, atol=1e-12)
    np.testing.assert_array_equal(playground.line.get_xdata(), bx)


def test_playground_boundary_vanishes_when_w_is_zero(playground):
    c = playground.controls
    c["w1"].value = 0.0
    c["w2"].value = 0.0
    assert len(playground.line.get_xdata()) == 0
    assert 0.0 <= playground.accuracy <= 1.0


def test_playground_good_weights_separate_the_linear_set():
    """A perceptron's weights, set via the sliders, reach 100% on the separable set."""
    X, y = data.linear(n=200, seed=0)
    Xb = np.hstack([X, np.ones((len(X), 1))])
    w = np.zeros(3)
    for _ in range(200):
        for i in range(len(X)):
            if (Xb[i] @ w > 0) != (y[i] == 1):
                w += (1 if y[i] == 1 else -1) * Xb[i]
    w = 4.9 * w / np.abs(w).max()  # fit the slider range, same boundary
    p = NeuronPlayground(w1=float(w[0]), w2=float(w[1]), b=float(w[2]), grid=20)
    assert p.accuracy == 1.0
    assert "100.0%" in p.status.value


def test_playground_surface_matches_the_reference(playground):
    playground.controls["activation"].value = "tanh"
    expected = np.tanh(playground.grid_points @ playground.w + playground.b).reshape(40, 40)
    np.testing.assert_allclose(playground.surface, expected, atol=1e-15)
    np.testing.assert_allclose(playground.background.get_array(), expected, atol=1e-15)


def test_playground_bad_arguments():
    with pytest.raises(ValueError, match="activation"):
        NeuronPlayground(activation="swish")
    with pytest.raises(ValueError, match="dataset"):
        NeuronPlayground(dataset="circles")


def test_predict_helper():
    X = np.array([[1.0, 0.0], [-1.0, 0.0]])
    for act in wn.ACTIVATIONS:
        assert wn.predict(X, [1.0, 0.0], 0.0, act).tolist() == [1, 0]


# ------------------------------------------------------------------ ActivationExplorer

@pytest.fixture
def explorer():
    w = ActivationExplorer(activation="sigmoid", scale=1.0, shift=0.0, n=4000)
    yield w
    w.close()


@pytest.mark.parametrize("control, value", [("activation", "tanh"), ("activation", "relu"),
                                            ("activation", "leaky_relu"), ("activation", "gelu"),
                                            ("scale", 8.0), ("scale", 0.2), ("shift", -4.0),
                                            ("shift", 2.5)])
def test_explorer_every_control_changes_the_plot(explorer, control, value):
    before = snapshot(explorer)
    band = (explorer.band.get_x(), explorer.band.get_width())
    explorer.controls[control].value = value
    lines_changed, _status_changed = assert_changed(before, snapshot(explorer))
    if control == "activation":
        assert lines_changed
    else:  # the batch moved: so did its shaded 95% band (the curves keep their shape at small scale)
        assert (explorer.band.get_x(), explorer.band.get_width()) != band
    name = explorer.activation
    # the curves are the reference forward and backward (dout = ones)
    x = explorer.x_plot
    out, cache = getattr(A, f"{name}_forward")(x)
    np.testing.assert_array_equal(explorer.line_f.get_ydata(), out)
    np.testing.assert_array_equal(explorer.line_df.get_ydata(),
                                  getattr(A, f"{name}_backward")(np.ones_like(x), cache))
    # the label reports the batch statistics
    g = explorer.grad
    assert explorer.saturated == float(np.mean(np.abs(g) < 0.01))
    assert explorer.dead == float(np.mean(g == 0))
    assert f"{explorer.saturated:.1%}" in explorer.status.value
    assert f"{explorer.dead:.1%}" in explorer.status.value


def test_explorer_batch_follows_scale_and_shift(explorer):
    explorer.controls["scale"].value = 3.0
    explorer.controls["shift"].value = -2.0
    np.testing.assert_allclose(explorer.z.mean(), -2.0, atol=0.15)
    np.testing.assert_allclose(explorer.z.std(), 3.0, rtol=0.05)
    np.testing.assert_array_equal(explorer.z, wa.preactivations(3.0, -2.0, 4000, 0))


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_explorer_saturation_grows_with_scale(explorer, name):
    explorer.controls["activation"].value = name
    explorer.controls["scale"].value = 0.5
    small = explorer.saturated
    explorer.controls["scale"].value = 20.0
    large = explorer.saturated
    assert small == 0.0
    assert large > 0.5 > small
    assert "saturated" in explorer.status.value


def test_explorer_dead_relu_at_negative_shift(explorer):
    explorer.controls["activation"].value = "relu"
    assert explorer.dead == pytest.approx(0.5, abs=0.03)  # centred batch: half the units off
    explorer.controls["shift"].value = -5.0
    assert explorer.dead > 0.99
    explorer.controls["activation"].value = "leaky_relu"
    assert explorer.dead == 0.0  # leaky ReLU never has an exactly-zero gradient
    explorer.controls["activation"].value = "gelu"
    assert explorer.dead < 0.01


def test_gradient_stats_helper():
    sat, dead = wa.gradient_stats("relu", scale=1.0, shift=-5.0, n=1000)
    assert sat == dead == 1.0
    sat, dead = wa.gradient_stats("tanh", scale=0.1, n=1000)
    assert (sat, dead) == (0.0, 0.0)
    np.testing.assert_allclose(wa.derivative("sigmoid", np.array([0.0])), [0.25])


def test_explorer_bad_argument():
    with pytest.raises(ValueError, match="activation"):
        ActivationExplorer(activation="softmax")
