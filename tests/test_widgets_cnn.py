"""Chapter 06 widgets driven headless: the convolution explorer and the CNN's feature maps."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit import data
from coursekit.reference import cnn
from coursekit.widgets import ConvExplorer, FeatureMaps
from coursekit.widgets import cnn as wc


@pytest.fixture(scope="module")
def digits():
    X_tr, _, y_tr, _ = data.digits()
    return X_tr[:40], y_tr[:40]


@pytest.fixture
def explorer(digits):
    w = ConvExplorer(kernel="sobel_x", index=0, position=27, images=digits[0], labels=digits[1])
    yield w
    w.close()


@pytest.fixture
def maps(digits):
    w = FeatureMaps(cnn.init_cnn(channels=4, rng=0), digits[0], digits[1])
    yield w
    w.close()


def torch_conv(image, kernel, padding=1):
    """F.conv2d of one (H, W) image with one (3, 3) kernel, float64: (OH, OW)."""
    x = torch.tensor(np.asarray(image, dtype=np.float64))[None, None]
    k = torch.tensor(np.asarray(kernel, dtype=np.float64))[None, None]
    return F.conv2d(x, k, padding=padding)[0, 0].numpy()


def assert_explorer_consistent(w):
    """State = the reference = PyTorch, and the drawing and the status show the state."""
    image = w.images[w.index]
    np.testing.assert_array_equal(w.input_image, image)
    np.testing.assert_allclose(w.fmap, torch_conv(image, w.kernel), rtol=1e-12, atol=1e-12)
    i, j = divmod(w.value("position"), image.shape[1])
    assert (w.i, w.j) == (i, j)
    np.testing.assert_array_equal(w.window, np.pad(image, 1)[i:i + 3, j:j + 3])
    np.testing.assert_array_equal(w.products, w.window * w.kernel)
    assert w.dot == pytest.approx(w.products.sum(), abs=1e-12)
    assert w.dot == pytest.approx(w.fmap[i, j], abs=1e-12)
    assert w.dot == pytest.approx(torch_conv(image, w.kernel)[i, j], abs=1e-12)
    # drawn: the padded image, the products, the feature map, the two highlighted squares
    np.testing.assert_array_equal(w.im_in.get_array(), np.pad(image, 1))
    np.testing.assert_array_equal(w.im_p.get_array(), w.products)
    np.testing.assert_array_equal(w.im_out.get_array(), w.fmap)
    assert w.win_in.get_xy() == (j - 1.5, i - 1.5) and w.win_in.get_width() == 3
    assert w.win_out.get_xy() == (j - 0.5, i - 0.5)
    assert [[t.get_text() for t in row] for row in w.txt_k] == [[f"{v + 0.0:.3g}" for v in r] for r in w.kernel]
    assert f"Σ = {w.dot:.4g}" in w.axes[2].get_title()
    assert f"<b>{w.dot:.4g}</b> = feature map [{i}, {j}]" in w.status.value


# ------------------------------------------------------------------ pure helpers

def test_window_products_sum_is_the_feature_map_value_and_torch_s():
    rng = np.random.default_rng(0)
    image, kernel = rng.standard_normal((6, 7)), rng.standard_normal((3, 3))
    fmap = wc.feature_map(image, kernel)
    assert fmap.shape == (6, 7)
    expected = torch_conv(image, kernel)
    np.testing.assert_allclose(fmap, expected, rtol=1e-12, atol=1e-12)
    for i, j in [(0, 0), (0, 6), (5, 0), (5, 6), (2, 3)]:  # corners use the zero padding
        window, products, total = wc.window_products(image, kernel, i, j)
        assert window.shape == products.shape == (3, 3)
        np.testing.assert_array_equal(products, window * kernel)
        assert total == pytest.approx(fmap[i, j], abs=1e-12) == pytest.approx(expected[i, j], abs=1e-12)
    window, _, _ = wc.window_products(image, kernel, 0, 0)
    assert np.all(window[0] == 0) and np.all(window[:, 0] == 0)  # the padding ring
    np.testing.assert_array_equal(window[1:, 1:], image[:2, :2])


@pytest.mark.parametrize("name", list(wc.KERNELS))
def test_every_preset_is_cross_correlation_as_in_torch(name, digits):
    image = digits[0][3].reshape(8, 8)
    np.testing.assert_allclose(wc.feature_map(image, name), torch_conv(image, wc.KERNELS[name]),
                               rtol=1e-12, atol=1e-12)


def test_known_kernels_do_what_their_names_say():
    ramp = np.tile(np.arange(6.0), (6, 1))  # brightness grows to the right by 1 per pixel
    inner = (slice(1, -1), slice(1, -1))  # away from the zero padding
    np.testing.assert_allclose(wc.feature_map(ramp, "sobel_x")[inner], 8.0)  # (1 + 2 + 1) * 2 pixels apart
    np.testing.assert_allclose(wc.feature_map(ramp, "sobel_y")[inner], 0.0)
    np.testing.assert_allclose(wc.feature_map(ramp, "laplacian")[inner], 0.0)  # a linear ramp has no curvature
    np.testing.assert_allclose(wc.feature_map(ramp, "box_blur")[inner], ramp[inner])
    np.testing.assert_array_equal(wc.feature_map(ramp, "identity"), ramp)
    # not a convolution in the textbook sense: no kernel flip (a flip would give -8)
    assert wc.feature_map(ramp, "sobel_x")[2, 2] == pytest.approx(-wc.feature_map(ramp, np.fliplr(wc.KERNELS["sobel_x"]))[2, 2])


def test_bad_input_raises_value_error_naming_the_argument():
    image = np.zeros((8, 8))
    with pytest.raises(ValueError, match=r"kernel must have shape \(3, 3\), got shape \(2, 2\)"):
        wc.feature_map(image, np.ones((2, 2)))
    with pytest.raises(ValueError, match="kernel must have shape"):
        wc.window_products(image, np.ones(9), 0, 0)
    with pytest.raises(ValueError, match="kernel must be one of"):
        wc.as_kernel("emboss-ish")
    with pytest.raises(ValueError, match=r"image must be 2-D \(H, W\), got shape \(1, 8, 8\)"):
        wc.feature_map(image[None], "identity")
    with pytest.raises(ValueError, match=r"i must be an int in \[0, 8\)"):
        wc.window_products(image, "identity", 8, 0)
    with pytest.raises(ValueError, match=r"j must be an int in \[0, 8\)"):
        wc.window_products(image, "identity", 0, -1)
    with pytest.raises(ValueError, match="kernel must have shape"):
        ConvExplorer(kernel=np.ones((3, 4)), images=np.zeros((2, 8, 8)))
    with pytest.raises(ValueError, match="index"):
        ConvExplorer(index=5, images=np.zeros((2, 8, 8)))
    with pytest.raises(ValueError, match="position"):
        ConvExplorer(position=64, images=np.zeros((2, 8, 8)))
    with pytest.raises(ValueError, match="images"):
        ConvExplorer(images=np.zeros((2, 10)))
    with pytest.raises(ValueError, match="labels"):
        ConvExplorer(images=np.zeros((2, 8, 8)), labels=[1, 2, 3])


def test_cnn_activations_are_the_stages_of_cnn_forward(digits):
    params = cnn.init_cnn(channels=5, rng=1)
    x = digits[0][:6]
    acts = wc.cnn_activations(params, x)
    assert acts["input"].shape == (6, 1, 8, 8) and acts["conv"].shape == acts["relu"].shape == (6, 5, 8, 8)
    assert acts["pool"].shape == (6, 5, 4, 4) and acts["logits"].shape == acts["probs"].shape == (6, 10)
    np.testing.assert_array_equal(acts["logits"], cnn.cnn_forward(params, x)[0])
    np.testing.assert_array_equal(acts["relu"], np.maximum(acts["conv"], 0))
    np.testing.assert_allclose(acts["probs"].sum(axis=1), 1.0, rtol=1e-12)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 5, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Flatten(), torch.nn.Linear(80, 10)).double()
    with torch.no_grad():
        for p_t, p in zip(net.parameters(), params):
            p_t.copy_(torch.from_numpy(p))
        xt = torch.tensor(x).reshape(6, 1, 8, 8)
        np.testing.assert_allclose(acts["conv"], net[0](xt).numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(acts["pool"], net[:3](xt).numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(acts["probs"], torch.softmax(net(xt), dim=1).numpy(), rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="params"):
        wc.cnn_activations(params[:3], x)
    with pytest.raises(ValueError, match="x"):
        wc.cnn_activations(params, x[:, :60])


# ------------------------------------------------------------------ ConvExplorer

def test_explorer_starts_consistent(explorer):
    assert explorer.n_renders == 1 and explorer.png.startswith(b"\x89PNG")
    assert (explorer.i, explorer.j) == (3, 3)
    np.testing.assert_array_equal(explorer.kernel, wc.KERNELS["sobel_x"])
    assert_explorer_consistent(explorer)


@pytest.mark.parametrize("control, value", [("position", 0), ("position", 63), ("index", 7),
                                            ("kernel", "sobel_y"), ("kernel", "gaussian_blur"), ("k4", 2.5)])
def test_every_control_changes_the_display(explorer, control, value):
    png0, status0, n0, fmap0, dot0 = explorer.png, explorer.status.value, explorer.n_renders, \
        explorer.fmap.copy(), explorer.dot
    explorer.controls[control].value = value
    assert explorer.n_renders == n0 + 1, "exactly one re-render per control change"
    assert explorer.png != png0 and explorer.status.value != status0
    if control == "position":  # the same feature map, another pixel of it
        np.testing.assert_array_equal(explorer.fmap, fmap0)
    else:
        assert not np.array_equal(explorer.fmap, fmap0)
    assert explorer.dot != dot0 or control == "index"
    assert_explorer_consistent(explorer)


def test_sobel_feature_map_equals_torch_conv2d_on_the_digit(explorer, digits):
    explorer.controls["kernel"].value = "sobel_y"
    explorer.controls["index"].value = 11
    image = digits[0][11].reshape(8, 8)
    np.testing.assert_allclose(explorer.fmap, torch_conv(image, wc.KERNELS["sobel_y"]), rtol=1e-12, atol=1e-12)
    for position in (0, 9, 35, 62):
        explorer.controls["position"].value = position
        i, j = divmod(position, 8)
        assert explorer.dot == pytest.approx(torch_conv(image, wc.KERNELS["sobel_y"])[i, j], abs=1e-12)
        assert_explorer_consistent(explorer)


def test_preset_fills_the_boxes_and_an_edit_makes_it_custom(explorer):
    n = explorer.n_renders
    explorer.controls["kernel"].value = "sharpen"
    assert explorer.n_renders == n + 1, "a preset sets 9 boxes but renders once"
    assert [explorer.value(f"k{k}") for k in range(9)] == wc.KERNELS["sharpen"].ravel().tolist()
    explorer.controls["k0"].value = -3.0
    assert explorer.value("kernel") == wc.CUSTOM and explorer.n_renders == n + 2
    expected = wc.KERNELS["sharpen"].copy()
    expected[0, 0] = -3.0
    np.testing.assert_array_equal(explorer.kernel, expected)
    assert_explorer_consistent(explorer)
    explorer.controls["k0"].value = 0.0  # back to the preset's values: the dropdown says so
    assert explorer.value("kernel") == "sharpen"
    explorer.controls["kernel"].value = wc.CUSTOM  # choosing "custom" keeps the values
    np.testing.assert_array_equal(explorer.kernel, wc.KERNELS["sharpen"])


def test_identity_kernel_copies_the_image_and_the_window_centre(explorer, digits):
    explorer.controls["kernel"].value = "identity"
    explorer.controls["index"].value = 4
    np.testing.assert_array_equal(explorer.fmap, digits[0][4].reshape(8, 8))
    explorer.controls["position"].value = 8 * 5 + 2
    assert explorer.dot == explorer.window[1, 1] == digits[0][4].reshape(8, 8)[5, 2]
    assert np.count_nonzero(explorer.products) <= 1


def test_play_button_steps_the_position(explorer):
    n = explorer.n_renders
    explorer.play.value = 12
    assert explorer.value("position") == 12 and (explorer.i, explorer.j) == (1, 4)
    assert explorer.n_renders == n + 1
    explorer.controls["position"].value = 20
    assert explorer.play.value == 20
    assert_explorer_consistent(explorer)


def test_explorer_takes_a_kernel_array_and_its_widget_closes(digits):
    k = np.arange(9.0).reshape(3, 3) - 4
    w = ConvExplorer(kernel=k, images=digits[0][:3].reshape(3, 8, 8), position=0)
    assert w.value("kernel") == wc.CUSTOM and w.labels is None
    np.testing.assert_array_equal(w.kernel, k)
    assert_explorer_consistent(w)
    box = w.widget
    assert w.image in box.children and w.status in box.children and w.widget is box
    w.close()
    assert w.play.comm is None and w.controls["k8"].comm is None
    assert box.comm is None and box.children[1].children[1].comm is None  # the grid's box with its label


# ------------------------------------------------------------------ FeatureMaps

def assert_maps_consistent(w):
    x = w.inputs[w.index:w.index + 1]
    logits = cnn.cnn_forward(w.params, x)[0][0]
    p = np.exp(logits - logits.max())
    np.testing.assert_allclose(w.probs, p / p.sum(), rtol=1e-12)
    assert w.probs.sum() == pytest.approx(1.0, abs=1e-12)
    assert w.pred == int(np.argmax(logits))
    np.testing.assert_allclose([b.get_height() for b in w.bars], w.probs, rtol=1e-12)
    for n in range(w.channels):
        np.testing.assert_array_equal(w.im_relu[n].get_array(), w.acts["relu"][0, n])
        np.testing.assert_array_equal(w.im_pool[n].get_array(), w.acts["pool"][0, n])
    np.testing.assert_array_equal(w.im_in.get_array(), w.images[w.index])
    assert f"predicted <b>{w.pred}</b>" in w.status.value
    assert f"p = {w.probs[w.pred]:.3f}" in w.ax_prob.get_title()


def test_feature_maps_start_consistent(maps):
    assert maps.n_renders == 1 and maps.png.startswith(b"\x89PNG")
    assert maps.channels == 4 and len(maps.im_relu) == len(maps.im_pool) == 4
    assert maps.acts["relu"].shape == (1, 4, 8, 8) and maps.acts["pool"].shape == (1, 4, 4, 4)
    assert_maps_consistent(maps)


def test_switching_the_digit_changes_the_maps_and_probabilities(maps, digits):
    relu0, probs0, png0, n0 = maps.acts["relu"].copy(), maps.probs.copy(), maps.png, maps.n_renders
    maps.controls["index"].value = 9
    assert maps.n_renders == n0 + 1 and maps.png != png0
    assert not np.array_equal(maps.acts["relu"], relu0) and not np.array_equal(maps.probs, probs0)
    assert f"label {digits[1][9]}" in maps.ax_in.get_title()
    assert_maps_consistent(maps)


def test_trained_params_predict_and_the_transform_is_applied(digits):
    from coursekit.reference.train import Recipe, Standardizer, fit

    X, y = digits
    scaler = Standardizer().fit(X)
    params, _ = fit(cnn.init_cnn(channels=4, rng=0), scaler.transform(X), y,
                    Recipe(epochs=30, batch_size=40, hyper={"lr": 1e-2}), model=cnn.CNN)
    w = FeatureMaps(params, X, y, transform=scaler.transform, index=2)
    np.testing.assert_array_equal(w.inputs, scaler.transform(X))
    np.testing.assert_array_equal(w.im_in.get_array(), X[2].reshape(8, 8))  # shown raw, fed standardised
    assert_maps_consistent(w)
    correct = 0
    for i in range(6):
        w.controls["index"].value = i
        correct += w.pred == y[i]
        assert ("✓" in w.status.value) == (w.pred == y[i])
    assert correct >= 5, "a CNN fit on these 40 digits should know most of them"
    w.close()


def test_feature_maps_bad_input_and_wide_layouts(digits):
    params = cnn.init_cnn(channels=4, rng=0)
    with pytest.raises(ValueError, match="params"):
        FeatureMaps(params[:2], digits[0])
    with pytest.raises(ValueError, match="images"):
        FeatureMaps(params, digits[0][:, :50])
    with pytest.raises(ValueError, match="index"):
        FeatureMaps(params, digits[0][:3], index=3)
    with pytest.raises(ValueError, match="transform"):
        FeatureMaps(params, digits[0][:3], transform=lambda a: a[:2])
    w = FeatureMaps(cnn.init_cnn(channels=10, rng=0), digits[0][:3].reshape(3, 8, 8))
    assert len(w.axes_relu) == 16 and len(w.im_relu) == 10  # 2 rows of 8, the last 6 axes off
    assert not w.axes_relu[12].axison and w.axes_relu[9].axison
    assert_maps_consistent(w)
    w.close()


def test_widgets_create_no_pyplot_figures(digits):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    ConvExplorer(images=digits[0][:2]).close()
    FeatureMaps(cnn.init_cnn(channels=2, rng=0), digits[0][:2]).close()
    assert plt.get_fignums() == before
