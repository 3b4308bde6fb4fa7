"""Chapter 06: a 3x3 kernel sliding over a digit, and the feature maps of a small CNN.

`ConvExplorer` shows one convolution step by step: the window on the (zero-padded) image, the
kernel, the 9 products and their sum, which is one pixel of the feature map. `FeatureMaps` shows
what every channel of the chapter's CNN (`reference.cnn.cnn_forward`) makes of a digit, and the
class probabilities. The pure helpers below compute everything that is drawn.
"""
from __future__ import annotations

import numbers

import ipywidgets as W
import numpy as np
from matplotlib.patches import Rectangle

from .. import data
from ..reference import cnn
from ..reference.activations import relu_forward, softmax_forward
from ..reference.neurons import linear_forward
from .base import PlotWidget

KERNELS = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "sobel_x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],  # responds to left-to-right brightness increases
    "sobel_y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],  # ... and to top-to-bottom increases
    "laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "box_blur": [[1 / 9] * 3] * 3,
    "gaussian_blur": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]],
    "diagonal": [[2, -1, -1], [-1, 2, -1], [-1, -1, 2]],
}
KERNELS = {k: np.array(v, dtype=np.float64) for k, v in KERNELS.items()}
CUSTOM = "custom"
PADDING = 1  # a 3x3 kernel with padding 1 keeps the image size


# ------------------------------------------------------------------ pure helpers

def as_kernel(kernel) -> np.ndarray:
    """A preset name (see `KERNELS`) or 3x3 numbers -> a float64 (3, 3) array; else ValueError naming `kernel`."""
    if isinstance(kernel, str):
        if kernel not in KERNELS:
            raise ValueError(f"kernel must be one of {', '.join(KERNELS)} or a 3x3 array, got {kernel!r}")
        return KERNELS[kernel].copy()
    try:
        k = np.array(kernel, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"kernel must be a 3x3 array of numbers, got {kernel!r}") from e
    if k.shape != (3, 3):
        raise ValueError(f"kernel must have shape (3, 3), got shape {k.shape}")
    if not np.all(np.isfinite(k)):
        raise ValueError("kernel must hold finite numbers")
    return k


def as_images(images, name="images") -> np.ndarray:
    """(N, H, W) images, or (N, H*W) rows of square images -> float64 (N, H, W); else ValueError naming `name`."""
    x = np.asarray(images, dtype=np.float64)
    if x.ndim == 2:
        side = int(round(np.sqrt(x.shape[1])))
        if side * side != x.shape[1]:
            raise ValueError(f"{name}: rows of {x.shape[1]} values are not square images (shape {x.shape})")
        x = x.reshape(len(x), side, side)
    if x.ndim != 3 or len(x) == 0 or min(x.shape[1:]) < 1:
        raise ValueError(f"{name} must be (N, H, W) images or (N, H*W) rows with N >= 1, got shape {x.shape}")
    return x


def _image(image) -> np.ndarray:
    x = np.asarray(image, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"image must be 2-D (H, W), got shape {x.shape}")
    return x


def feature_map(image, kernel, padding=PADDING) -> np.ndarray:
    """The cross-correlation of one (H, W) image with a (3, 3) kernel, zero padding `padding`:
    `reference.cnn.conv2d_forward` on a batch of one. Returns (OH, OW) ((H, W) for padding 1)."""
    x, k = _image(image), as_kernel(kernel)
    return cnn.conv2d_forward(x[None, None], k[None, None], padding=padding)[0][0, 0]


def window_products(image, kernel, i, j, padding=PADDING):
    """The window under output pixel (i, j) and its dot product with the kernel.

    image: (H, W); kernel: (3, 3). Returns (window (3, 3) of the zero-padded image,
    products window * kernel (3, 3), their sum: a float equal to feature_map(image, kernel)[i, j]).
    """
    x, k = _image(image), as_kernel(kernel)
    oh, ow = (cnn.conv_output_size(n, 3, 1, padding) for n in x.shape)
    for name, v, n in (("i", i, oh), ("j", j, ow)):
        _index(v, n, name, f" for an output of shape ({oh}, {ow})")
    xp = np.pad(x, padding)
    window = xp[i:i + 3, j:j + 3]
    products = window * k
    return window.copy(), products, float(products.sum())


def position_to_ij(position, width):
    """Output pixel (i, j) of a row-major position along output rows of `width` pixels."""
    return divmod(int(position), int(width))


def cnn_activations(params, x) -> dict:
    """Every stage of `reference.cnn.cnn_forward`, with the same reference ops.

    params: [conv_w (F, C, k, k), conv_b (F,), lin_w (K, F*(H/2)*(W/2)), lin_b (K,)];
    x: (N, C, H, W) images or (N, C*H*W) rows of square images.
    Returns a dict of arrays: "input" (N, C, H, W), "conv" (N, F, H, W, before relu), "relu" (N, F, H, W),
    "pool" (N, F, H/2, W/2), "logits" (N, K), "probs" (N, K, softmax of the logits).
    """
    if not isinstance(params, (list, tuple)) or len(params) != 4:
        raise ValueError("params must be the list [conv_w, conv_b, lin_w, lin_b] of init_cnn / fit")
    conv_w, conv_b, lin_w, lin_b = (np.asarray(p, dtype=np.float64) for p in params)
    if conv_w.ndim != 4:
        raise ValueError(f"params[0] (the conv weight) must be (C_out, C_in, k, k), got shape {conv_w.shape}")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2:
        c = conv_w.shape[1]
        side = int(round(np.sqrt(x.shape[1] / c)))
        if c * side * side != x.shape[1]:
            raise ValueError(f"x: rows of {x.shape[1]} values are not {c}-channel square images (shape {x.shape})")
        x = x.reshape(len(x), c, side, side)
    if x.ndim != 4:
        raise ValueError(f"x must be (N, C, H, W) images or (N, C*H*W) rows, got shape {x.shape}")
    z, _ = cnn.conv2d_forward(x, conv_w, conv_b, padding=conv_w.shape[2] // 2)
    a, _ = relu_forward(z)
    p, _ = cnn.max_pool2d_forward(a, 2)
    if p[0].size != lin_w.shape[1]:
        raise ValueError(f"params[2] (the linear weight {lin_w.shape}) expects {lin_w.shape[1]} features, "
                         f"the pooled maps {p.shape[1:]} give {p[0].size}")
    logits, _ = linear_forward(p.reshape(len(p), -1), lin_w, lin_b)
    probs, _ = softmax_forward(logits)
    return {"input": x, "conv": z, "relu": a, "pool": p, "logits": logits, "probs": probs}


def _digits():
    X_tr, _, y_tr, _ = data.digits()
    return X_tr, y_tr


def _labels(labels, n):
    if labels is None:
        return None
    y = np.asarray(labels)
    if y.shape != (n,):
        raise ValueError(f"labels must have shape ({n},), one per image, got {y.shape}")
    return y


def _index(v, n, name="index", where=""):
    """`v` as an int when it is one (not a bool) in [0, n); else ValueError naming `name` (and `where`)."""
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not 0 <= v < n:
        raise ValueError(f"{name} must be an int in [0, {n}){where}, got {v!r}")
    return int(v)


def _annotate(ax, n=3, fontsize=8):
    return [[ax.text(c, r, "", ha="center", va="center", fontsize=fontsize) for c in range(n)] for r in range(n)]



def _text_color(value, lim):
    return "white" if abs(value) > 0.6 * lim else "black"


# ------------------------------------------------------------------ ConvExplorer

class ConvExplorer(PlotWidget):
    """A 3x3 kernel slides over a digit (zero padding 1, stride 1): one output pixel at a time.

    Controls: `kernel` (a preset, or "custom" once a value is edited), `k0` ... `k8` (the kernel's
    values, row by row), `index` (which image), `position` (which output pixel, row-major; the
    ▶ button steps through them). Panels: the padded input with the window, the kernel, the 9
    products (their sum in the title), the feature map with the output pixel.
    State after each change: `kernel` (3, 3), `input_image` (H, W), `fmap` (H, W), `i`, `j`, `window`,
    `products`, `dot` (= fmap[i, j]).
    """

    def __init__(self, kernel="sobel_x", index=0, position=None, images=None, labels=None):
        if images is None:
            images, default_labels = _digits()
            labels = default_labels if labels is None else labels
        self.images = as_images(images)
        self.labels = _labels(labels, len(self.images))
        k = as_kernel(kernel)
        preset = kernel if isinstance(kernel, str) else next(
            (name for name, v in KERNELS.items() if np.array_equal(v, k)), CUSTOM)
        index = _index(index, len(self.images))
        h, w = self.images.shape[1:]
        n_pos = h * w
        position = n_pos // 2 + w // 2 if position is None else position
        position = _index(position, n_pos, "position", f" (row-major over the {h}x{w} output)")
        label = {"description_width": "60px"}
        controls = {"kernel": W.Dropdown(options=[*KERNELS, CUSTOM], value=preset, description="kernel",
                                         layout=W.Layout(width="220px"), style=label)}
        for n, v in enumerate(k.ravel()):
            controls[f"k{n}"] = W.FloatText(value=float(v), step=0.1, layout=W.Layout(width="70px"))
        controls["index"] = W.IntSlider(value=index, min=0, max=len(self.images) - 1, description="image",
                                        layout=W.Layout(width="300px"), style=label)
        controls["position"] = W.IntSlider(value=position, min=0, max=n_pos - 1, description="position",
                                           layout=W.Layout(width="300px"), style=label)
        self.play = self.linked_play(controls["position"], interval=400, description="step through the positions")
        super().__init__(controls, ncols=4, figsize=(12.0, 3.4), title="Convolution explorer (padding 1, stride 1)")

    # -- controls ------------------------------------------------------------------------------
    def kernel_values(self) -> np.ndarray:
        """The kernel in the 9 value boxes, (3, 3)."""
        return np.array([float(self.value(f"k{n}")) for n in range(9)]).reshape(3, 3)

    def _changed(self, change) -> None:
        owner = change.owner
        with self.quiet():
            if owner is self.controls["kernel"] and change.new != CUSTOM:  # a preset fills the 9 boxes
                for n, v in enumerate(KERNELS[change.new].ravel()):
                    self.controls[f"k{n}"].value = float(v)
            elif owner in [self.controls[f"k{n}"] for n in range(9)]:  # an edit makes the kernel custom
                k = self.kernel_values()
                self.controls["kernel"].value = next(
                    (name for name, v in KERNELS.items() if np.array_equal(v, k)), CUSTOM)
        self.refresh()

    def layout_controls(self) -> list:
        """The kernel, image and position on the left, the 9 kernel values as a 3x3 grid on the right."""
        c = self.controls
        grid = W.GridBox([c[f"k{n}"] for n in range(9)],
                         layout=W.Layout(grid_template_columns="repeat(3, 74px)", width="240px"))
        left = W.VBox([c["kernel"], c["index"], W.HBox([c["position"], self.play])])
        right = W.VBox([W.HTML("kernel values, row by row:"), grid])
        return [W.HBox([left, right])]

    # -- drawing -------------------------------------------------------------------------------
    def setup(self):
        a_in, a_k, a_p, a_out = self.axes
        h, w = self.images.shape[1:]
        blank = np.zeros((h + 2 * PADDING, w + 2 * PADDING))
        ext = (-PADDING - 0.5, w + PADDING - 0.5, h + PADDING - 0.5, -PADDING - 0.5)
        self.im_in = a_in.imshow(blank, cmap="gray_r", extent=ext, vmin=0, vmax=1)
        a_in.add_patch(Rectangle((-0.5, -0.5), w, h, fill=False, ec="0.6", ls="--", lw=1))
        self.win_in = a_in.add_patch(Rectangle((0, 0), 3, 3, fill=False, ec="C3", lw=2.5))
        self.im_k = a_k.imshow(np.zeros((3, 3)), cmap="RdBu_r")
        self.im_p = a_p.imshow(np.zeros((3, 3)), cmap="RdBu_r")
        self.txt_k, self.txt_p = _annotate(a_k, fontsize=9), _annotate(a_p, fontsize=8)
        self.im_out = a_out.imshow(np.zeros((h, w)), cmap="RdBu_r")
        self.win_out = a_out.add_patch(Rectangle((0, 0), 1, 1, fill=False, ec="C3", lw=2.5))
        a_k.set_title("kernel w", fontsize=10)
        for ax in self.axes:
            ax.set_xticks([])
            ax.set_yticks([])

    def update(self):
        self.kernel = self.kernel_values()
        self.index = int(self.value("index"))
        self.input_image = self.images[self.index]
        h, w = self.input_image.shape
        self.i, self.j = position_to_ij(self.value("position"), w)
        self.fmap = feature_map(self.input_image, self.kernel)
        self.window, self.products, self.dot = window_products(self.input_image, self.kernel, self.i, self.j)
        a_in, a_k, a_p, a_out = self.axes

        lo, hi = float(self.images.min()), float(self.images.max())
        self.im_in.set_data(np.pad(self.input_image, PADDING))
        self.im_in.set_clim(lo, hi if hi > lo else lo + 1)
        self.win_in.set_xy((self.j - PADDING - 0.5, self.i - PADDING - 0.5))
        tag = "" if self.labels is None else f" (label {self.labels[self.index]})"
        a_in.set_title(f"image {self.index}{tag}, zero-padded", fontsize=10)

        for im, txt, m, fmt in ((self.im_k, self.txt_k, self.kernel, "{:.3g}"),
                                (self.im_p, self.txt_p, self.products, "{:.2f}")):
            lim = max(float(np.abs(m).max()), 1e-12)
            im.set_data(m)
            im.set_clim(-lim, lim)
            for r in range(3):
                for c in range(3):
                    txt[r][c].set_text(fmt.format(m[r, c] + 0.0))  # + 0.0: no "-0.00"
                    txt[r][c].set_color(_text_color(m[r, c], lim))
        a_p.set_title(f"x · w at ({self.i}, {self.j}): Σ = {self.dot:.4g}", fontsize=10)

        lim = max(float(np.abs(self.fmap).max()), 1e-12)
        self.im_out.set_data(self.fmap)
        self.im_out.set_clim(-lim, lim)
        self.win_out.set_xy((self.j - 0.5, self.i - 0.5))
        a_out.set_title(f"feature map [{self.i}, {self.j}] = {self.fmap[self.i, self.j]:.4g}", fontsize=10)

        terms = " + ".join(f"{x + 0.0:.2f}·" + (f"({k:.3g})" if k < 0 else f"{k + 0.0:.3g}")
                           for x, k in zip(self.window.ravel(), self.kernel.ravel()))
        self.status.value = (f"output ({self.i}, {self.j}): Σ x·w = {terms} = <b>{self.dot:.4g}</b> "
                             f"= feature map [{self.i}, {self.j}]")


# ------------------------------------------------------------------ FeatureMaps

class FeatureMaps(PlotWidget):
    """What the chapter's CNN sees: a digit, every channel after conv + relu and after max-pooling,
    and the predicted class probabilities.

    params: [conv_w, conv_b, lin_w, lin_b] from `init_cnn` or `fit` (trained or not);
    images: (N, H*W) rows or (N, H, W), shown as they are; the network gets `transform(images)`
    (e.g. a fitted `Standardizer().transform`), default the images themselves; labels: (N,) or None.
    Control: `index` (which image).
    State after each change: `index`, `acts` (`cnn_activations` of the one image), `probs` (K,), `pred`.
    """

    MAX_COLS = 8

    def __init__(self, params, images, labels=None, transform=None, index=0):
        self.images = as_images(images)
        self.inputs = np.asarray(images if transform is None else transform(images), dtype=np.float64)
        if self.inputs.ndim == 3:  # (N, H, W): one channel
            self.inputs = self.inputs[:, None]
        if len(self.inputs) != len(self.images):
            raise ValueError(f"transform(images) must keep one row per image: {len(self.images)} images, "
                             f"got shape {self.inputs.shape}")
        self.params = [np.asarray(p, dtype=np.float64) for p in params] if isinstance(params, (list, tuple)) \
            else params
        self.labels = _labels(labels, len(self.images))
        first = cnn_activations(self.params, self.inputs[:1])  # bad params or images fail here, naming them
        self._map_hw = first["relu"].shape[2:]
        self.channels, self.classes = self.params[0].shape[0], self.params[2].shape[0]
        controls = {"index": W.IntSlider(value=_index(index, len(self.images)), min=0, max=len(self.images) - 1,
                                         description="image", layout=W.Layout(width="360px"))}
        cols = min(self.channels, self.MAX_COLS)
        rows = -(-self.channels // cols)
        super().__init__(controls, figsize=(3.0 + 1.05 * cols, 0.6 + 2.2 * rows), title="Feature maps of the CNN")

    def setup(self):
        c = self.channels
        cols = min(c, self.MAX_COLS)
        rows = -(-c // cols)
        self.fig.clear()
        left, right = self.fig.subfigures(1, 2, width_ratios=[2.6, 1.05 * cols])
        self.ax_in, self.ax_prob = left.subplots(2, 1, height_ratios=[1.0, 0.8])
        right_relu, right_pool = right.subfigures(2, 1)
        self.axes_relu = right_relu.subplots(rows, cols, squeeze=False).ravel()
        self.axes_pool = right_pool.subplots(rows, cols, squeeze=False).ravel()
        self.axes = [self.ax_in, self.ax_prob, *self.axes_relu, *self.axes_pool]
        self.ax = self.ax_in
        self.title_relu = right_relu.suptitle("", fontsize=9)
        self.title_pool = right_pool.suptitle("", fontsize=9)
        h, w = self.images.shape[1:]
        self.im_in = self.ax_in.imshow(np.zeros((h, w)), cmap="gray_r")
        hr, wr = self._map_hw  # conv with padding k // 2 keeps H, W; the pool halves them
        self.im_relu, self.im_pool = [], []
        for n, (ar, ap) in enumerate(zip(self.axes_relu, self.axes_pool)):
            for ax in (ar, ap):
                ax.set_xticks([])
                ax.set_yticks([])
            if n >= c:
                ar.set_axis_off()
                ap.set_axis_off()
                continue
            self.im_relu.append(ar.imshow(np.zeros((hr, wr)), cmap="magma", vmin=0, vmax=1))
            self.im_pool.append(ap.imshow(np.zeros((hr // 2, wr // 2)), cmap="magma", vmin=0, vmax=1))
            ar.set_title(f"ch {n}", fontsize=7, pad=2)
        self.ax_in.set_xticks([])
        self.ax_in.set_yticks([])
        self.bars = self.ax_prob.bar(np.arange(self.classes), np.zeros(self.classes), color="0.6")
        self.ax_prob.set(ylim=(0, 1), xticks=np.arange(self.classes))
        self.ax_prob.set_ylabel("probability", fontsize=8)
        self.ax_prob.tick_params(labelsize=7)

    def update(self):
        self.index = int(self.value("index"))
        self.acts = cnn_activations(self.params, self.inputs[self.index:self.index + 1])
        self.probs = self.acts["probs"][0]
        self.pred = int(np.argmax(self.probs))
        relu, pool = self.acts["relu"][0], self.acts["pool"][0]
        self.im_in.set_data(self.images[self.index])
        self.im_in.set_clim(float(self.images.min()), float(self.images.max()))
        true = None if self.labels is None else int(self.labels[self.index])
        tag = "" if true is None else f", label {true}"
        self.ax_in.set_title(f"image {self.index}{tag}", fontsize=9)
        top = max(float(relu.max()), 1e-12)  # one colour scale for all channels: compare their strength
        for n in range(self.channels):
            self.im_relu[n].set_data(relu[n])
            self.im_relu[n].set_clim(0, top)
            self.im_pool[n].set_data(pool[n])
            self.im_pool[n].set_clim(0, top)
        self.title_relu.set_text(f"after conv + relu ({relu.shape[1]}x{relu.shape[2]}; colour 0 to {top:.3g})")
        self.title_pool.set_text(f"after max-pool 2x2 ({pool.shape[1]}x{pool.shape[2]}): the input of the linear layer")
        for k, bar in enumerate(self.bars):
            bar.set_height(self.probs[k])
            bar.set_color("C2" if k == true and k == self.pred else "C3" if k == self.pred else
                          "C0" if k == true else "0.6")
        verdict = "" if true is None else (" ✓" if self.pred == true else f" ✗ (label {true})")
        self.ax_prob.set_title(f"predicted {self.pred}, p = {self.probs[self.pred]:.3f}{verdict}", fontsize=9)
        top3 = np.argsort(self.probs)[::-1][:3]
        self.status.value = (f"image {self.index}: predicted <b>{self.pred}</b>{verdict} &nbsp; top 3: "
                             + ", ".join(f"{k}: {self.probs[k]:.3f}" for k in top3))
