"""Chapter 06, convolutional networks: conv2d, pooling, batch_norm, dropout, flatten."""
from __future__ import annotations

import numpy as np

from ..reference import cnn
from .spec import Case, OpSpec, backward_mistake, forgot_dout, mistake, register


def _conv_cases(rng, hidden):
    """Cases for conv2d (naive and vectorised share them): NCHW x, (C_out, C_in, kH, kW) weight."""
    n = rng.standard_normal

    def c(label, x_shape, w_shape, bias=True, x=None, **kw):
        return Case(label, {"x": n(x_shape) if x is None else x, "weight": n(w_shape) / np.sqrt(np.prod(w_shape[1:])),
                            "bias": n(w_shape[0]) if bias else None}, kw)

    if not hidden:
        zeros = n((2, 2, 5, 5))
        zeros[:, :, 1:4, 1:4] = 0.0
        return [
            c("random (2, 3, 5, 5) * (4, 3, 3, 3)", (2, 3, 5, 5), (4, 3, 3, 3)),
            c("batch of one, padding=1, no bias", (1, 2, 6, 4), (3, 2, 3, 3), bias=False, padding=1),
            c("non-square 2x3 kernel, stride=2", (2, 2, 7, 8), (3, 2, 2, 3), stride=2),
            c("stride and padding as pairs (2, 1), (0, 2)", (2, 2, 6, 5), (2, 2, 3, 3), stride=(2, 1),
              padding=(0, 2)),
            c("exact zeros in x, padding=2", None, (3, 2, 3, 3), x=zeros, padding=2),
            c("large magnitudes (x * 1000)", None, (2, 3, 2, 2), x=1000 * n((2, 3, 4, 4))),
        ]
    return [
        c("dilation=2", (2, 2, 7, 7), (3, 2, 3, 3), dilation=2),
        c("1x1 kernel (channel mixing)", (2, 5, 3, 4), (6, 5, 1, 1)),
        c("kernel covers the whole image", (3, 2, 4, 4), (5, 2, 4, 4)),
        c("one input channel, stride=3, padding=1", (2, 1, 9, 7), (4, 1, 3, 3), stride=3, padding=1),
        c("stride larger than the kernel", (1, 2, 8, 8), (2, 2, 2, 2), stride=3),
        c("wide (2, 8, 6, 6) * (16, 8, 3, 3), padding=1", (2, 8, 6, 6), (16, 8, 3, 3), padding=1),
        c("padding (2, 0), dilation (1, 2), no bias", (2, 3, 5, 9), (2, 3, 3, 3), bias=False, padding=(2, 0),
          dilation=(1, 2)),
    ]


def _torch_conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    import torch.nn.functional as F

    return F.conv2d(x, weight, bias, stride=stride, padding=padding, dilation=dilation)


_CONV_HINTS = {
    "forward": "out[n, f, i, j] = bias[f] + sum of x_padded[n, :, i*sh : i*sh + kH, j*sw : j*sw + kW] * weight[f] "
               "(a cross-correlation: do not flip the kernel); pad both sides; "
               "OH = (H + 2 ph - dh (kH - 1) - 1) // sh + 1.",
    "backward": "Each output position sends dout[n, f, i, j] * weight[f] back into dx over its window (+=, windows "
                "overlap), and dweight[f] += window * dout[n, f, i, j]; dbias sums dout over n, i, j; crop the "
                "padding off dx.",
}


def _two(v) -> tuple:
    """An int or a pair as (height, width)."""
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _span(i, stride, dilation, k) -> slice:
    """The rows (or columns) of the padded input that window `i` covers along one axis."""
    return slice(i * stride, i * stride + dilation * (k - 1) + 1, dilation)


def _conv_parts(case):
    """x padded, weight, and (stride, padding, dilation) as pairs, of a conv2d case."""
    x, weight = case.inputs["x"], case.inputs["weight"]
    s, p, d = (_two(case.kwargs.get(k, v)) for k, v in (("stride", 1), ("padding", 0), ("dilation", 1)))
    return np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1]))), weight, s, p, d


def _conv_kw(x, weight, bias=None, stride=1, padding=0, dilation=1, **change):
    """conv2d_forward's output with some arguments changed (`change`, by name)."""
    kw = dict(x=x, weight=weight, bias=bias, stride=stride, padding=padding, dilation=dilation)
    return cnn.conv2d_forward(**{**kw, **change})


def _conv_stride_unsized(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """An output sized as for stride 1, windows still `stride` apart; windows off the end give the bias."""
    full = _conv_kw(x, weight, bias, 1, padding, dilation)[0]
    s = _two(stride)
    out = np.zeros_like(full) + (0.0 if bias is None else bias[:, None, None])
    picked = full[:, :, ::s[0], ::s[1]]
    out[:, :, :picked.shape[2], :picked.shape[3]] = picked
    return out, None


def _conv_one_side(x, weight, bias=None, stride=1, padding=0, dilation=1):
    p = _two(padding)
    return _conv_kw(np.pad(x, ((0, 0), (0, 0), (0, 2 * p[0]), (0, 2 * p[1]))), weight, bias, stride, 0, dilation)


def _conv_grads(dx=None, dweight=None, dbias=None):
    """A conv backward whose dx, dweight or dbias comes from `(spec, case, dout, cache) -> array` instead."""

    def grads(spec, case, dout, cache):
        right = spec.backward(dout, cache)
        return tuple(r if f is None else f(spec, case, dout, cache) for r, f in zip(right, (dx, dweight, dbias)))

    return grads


def _dx_overwritten(spec, case, dout, cache):
    """dx with each window's gradient (summed over filters) assigned, in row-major order, not added."""
    xp, weight, s, p, d = _conv_parts(case)
    dxp = np.zeros_like(xp)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            rows, cols = _span(i, s[0], d[0], weight.shape[2]), _span(j, s[1], d[1], weight.shape[3])
            dxp[:, :, rows, cols] = np.einsum("nf,fchw->nchw", dout[:, :, i, j], weight)
    return dxp[:, :, p[0]:xp.shape[2] - p[0], p[1]:xp.shape[3] - p[1]]


def _dweight_last(spec, case, dout, cache):
    """dweight from the last window of the last image only (dweight[f] = ..., not +=)."""
    xp, weight, s, _, d = _conv_parts(case)
    rows = _span(dout.shape[2] - 1, s[0], d[0], weight.shape[2])
    cols = _span(dout.shape[3] - 1, s[1], d[1], weight.shape[3])
    return dout[-1, :, -1, -1][:, None, None, None] * xp[-1, :, rows, cols][None]


def _dx_uncropped(spec, case, dout, cache):
    """dx of the padded input: the gradients of the same conv run on x padded beforehand, padding 0."""
    xp, weight, s, _, d = _conv_parts(case)
    return spec.backward(dout, spec.forward(xp, weight, case.inputs["bias"], s, 0, d)[1])[0]


def _dx_unrotated(spec, case, dout, cache):
    """dx as the full convolution of dout with the kernel as it is (not rotated by 180 degrees)."""
    x, weight, bias = spec.args(case)
    return spec.backward(dout, spec.forward(x, weight[:, :, ::-1, ::-1], bias, **case.kwargs)[1])[0]


_CONV_MISTAKES = (
    mistake("a flipped kernel (a true convolution)", "you flip the kernel (weight[..., ::-1, ::-1]) as the textbook "
            "convolution does; conv2d, like PyTorch's, is a cross-correlation: multiply each window by weight[f] "
            "as it is.", forward=lambda x, weight, *a, **kw: _conv_kw(x, weight[:, :, ::-1, ::-1], *a, **kw)),
    mistake("the stride left out of the output size", "your output has one row and column per stride-1 position; "
            "with stride s there are only (H + 2p - d (k - 1) - 1) // s + 1 windows along an axis.",
            forward=_conv_stride_unsized),
    mistake("dilation ignored", "your windows are contiguous: with dilation d the kernel's taps are d pixels apart "
            "(slice with step d), so a window spans d (k - 1) + 1 pixels and the output shrinks.",
            forward=lambda *a, **kw: _conv_kw(*a, **{**kw, "dilation": 1})),
    mistake("padding on one side only", "you put all 2p zeros after the image: pad p on each side (top and bottom, "
            "left and right), np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))).", forward=_conv_one_side),
    mistake("the stride pair swapped", "stride=(sh, sw) is (height, width): step sh down the rows and sw along the "
            "columns, not the other way round.",
            forward=lambda *a, **kw: _conv_kw(*a, **{**kw, "stride": _two(kw.get("stride", 1))[::-1]})),
    mistake("padding ignored", "you slide the windows over x unpadded: pad p zeros on each side of the height and "
            "width first, and count them in the output size.",
            forward=lambda *a, **kw: _conv_kw(*a, **{**kw, "padding": 0})),
    mistake("the bias left out", "add bias[f] to every output of filter f when bias is not None.",
            forward=lambda x, weight, bias=None, **kw: _conv_kw(x, weight, None, **kw)),
    backward_mistake("dbias as a mean", "dbias is the SUM of dout over the images and positions (the bias is added "
                     "to every output), not the mean.",
                     _conv_grads(dbias=lambda spec, case, dout, cache: dout.mean(axis=(0, 2, 3)))),
    backward_mistake("dweight overwritten instead of accumulated", "dweight[f] = ... keeps only the last window's "
                     "term: every window of every image contributes, dweight[f] += window * dout[n, f, i, j].",
                     _conv_grads(dweight=_dweight_last)),
    backward_mistake("dx overwritten where windows overlap", "you assign (=) each window's gradient into dx, so where "
                     "windows overlap only the last one survives: add it (+=).", _conv_grads(dx=_dx_overwritten)),
    backward_mistake("the padding left on dx", "your dx has the padded image's shape: crop the padding off, "
                     "dx_padded[:, :, ph:ph + H, pw:pw + W], before returning it.", _conv_grads(dx=_dx_uncropped)),
    backward_mistake("dx with the kernel not rotated", "as a full convolution of dout, dx needs the kernel rotated by "
                     "180 degrees (weight[..., ::-1, ::-1]); or send dout[n, f, i, j] * weight[f] back over each "
                     "window.", _conv_grads(dx=_dx_unrotated)),
)
for _name, _bench in [
    ("conv2d", lambda rng: Case("bench (64, 16, 32, 32) * (32, 16, 3, 3), padding=1", {
        "x": rng.standard_normal((64, 16, 32, 32)), "weight": rng.standard_normal((32, 16, 3, 3)) / 12,
        "bias": rng.standard_normal(32)}, {"padding": 1})),
    ("conv2d_naive", lambda rng: Case("bench (4, 3, 16, 16) * (8, 3, 3, 3), padding=1", {
        "x": rng.standard_normal((4, 3, 16, 16)), "weight": rng.standard_normal((8, 3, 3, 3)) / 5,
        "bias": rng.standard_normal(8)}, {"padding": 1})),
]:
    register(OpSpec(
        name=_name, chapter="06_cnn", forward=getattr(cnn, f"{_name}_forward"),
        backward=getattr(cnn, f"{_name}_backward"), torch=_torch_conv2d, inputs=("x", "weight", "bias"),
        cases=_conv_cases, bench=_bench, hints=_CONV_HINTS, mistakes=_CONV_MISTAKES,
    ))


def _pool_cases(kind):
    def cases(rng, hidden):
        n = rng.standard_normal
        extra = {"count_include_pad": False} if kind == "avg" else {"dilation": 2}
        ties = np.repeat(np.repeat(np.round(n((1, 2, 3, 3))), 2, axis=2), 2, axis=3)  # 2x2 blocks of equal values
        if not hidden:
            return [
                Case("random (2, 3, 6, 6), kernel 2", {"x": n((2, 3, 6, 6))}, {"kernel_size": 2}),
                Case("batch of one, kernel 3, stride 2, padding 1", {"x": n((1, 2, 7, 5))},
                     {"kernel_size": 3, "stride": 2, "padding": 1}),
                Case("non-square kernel (2, 3), stride (1, 2)", {"x": n((2, 2, 5, 8))},
                     {"kernel_size": (2, 3), "stride": (1, 2)}),
                Case("exact ties: 2x2 blocks of equal values, overlapping windows", {"x": ties},
                     {"kernel_size": 2, "stride": 1}, smooth=kind == "avg"),
                Case("large magnitudes, all negative, padding 1", {"x": -1000 * np.abs(n((2, 2, 4, 4))) - 1},
                     {"kernel_size": 3, "stride": 1, "padding": 1}),
            ]
        return [
            Case(f"{next(iter(extra))}={next(iter(extra.values()))}, kernel 3, padding 1", {"x": n((2, 2, 7, 7))},
                 {"kernel_size": 3, "stride": 2, "padding": 1, **extra}),
            Case("kernel covers the image", {"x": n((3, 2, 4, 4))}, {"kernel_size": 4}),
            Case("uneven size, leftover rows dropped", {"x": n((2, 1, 7, 9))}, {"kernel_size": 2}),
            Case("kernel 1 (identity)", {"x": n((2, 2, 3, 3))}, {"kernel_size": 1}),
            Case("zeros with one peak per window", {"x": np.where(rng.random((2, 2, 6, 6)) < 0.2, 5.0, 0.0)},
                 {"kernel_size": 2}, smooth=kind == "avg"),
        ]

    return cases


def _torch_max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1):
    import torch.nn.functional as F

    return F.max_pool2d(x, kernel_size, stride, padding, dilation)


def _torch_avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    import torch.nn.functional as F

    return F.avg_pool2d(x, kernel_size, stride, padding, count_include_pad=count_include_pad)


_RIGHT_POOL = {"pad": -np.inf, "tie": "first", "add": True, "unit_stride": False}


def _pool(x, kernel_size, stride=None, padding=0, dilation=1, *, slip=None):
    """max_pool2d with a known slip (a dict over `_RIGHT_POOL`): padding value `pad`, ties to the "first",
    "last" or "all" maxima, gradients added (`add`) or assigned, stride=None read as 1 (`unit_stride`).
    Returns (out, cache)."""
    pad, tie, add, unit_stride = {**_RIGHT_POOL, **(slip or {})}.values()
    k, p, d = _two(kernel_size), _two(padding), _two(dilation)
    s = _two(stride if stride is not None else 1 if unit_stride else kernel_size)
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])), constant_values=pad)
    oh, ow = ((xp.shape[2 + a] - d[a] * (k[a] - 1) - 1) // s[a] + 1 for a in (0, 1))
    win = np.stack([xp[:, :, _span(i, s[0], d[0], k[0]), _span(j, s[1], d[1], k[1])].reshape(*x.shape[:2], -1)
                    for i in range(oh) for j in range(ow)], axis=2).reshape(*x.shape[:2], oh, ow, -1)
    out = win.max(axis=-1)
    if tie == "all":
        mask = win == out[..., None]
    else:
        arg = win.argmax(-1) if tie == "first" else win.shape[-1] - 1 - win[..., ::-1].argmax(-1)
        mask = np.arange(win.shape[-1]) == arg[..., None]
    return out, (xp.shape, p, s, d, k, mask, add)


def _pool_back(dout, cache):
    """dx of `_pool`'s forward: dout (zero-extended or cut to the forward's output size) routed to the maxima."""
    shape, p, s, d, k, mask, add = cache
    oh, ow = mask.shape[2:4]
    grad = np.zeros(mask.shape[:4])
    h, w = min(oh, dout.shape[2]), min(ow, dout.shape[3])
    grad[:, :, :h, :w] = dout[:, :, :h, :w]
    dxp = np.zeros(shape)
    for i in range(oh):
        for j in range(ow):
            for t in range(k[0] * k[1]):
                r, c = i * s[0] + t // k[1] * d[0], j * s[1] + t % k[1] * d[1]
                m = mask[:, :, i, j, t]
                dxp[:, :, r, c] = np.where(m, grad[:, :, i, j] + (dxp[:, :, r, c] if add else 0.0), dxp[:, :, r, c])
    return dxp[:, :, p[0]:shape[2] - p[0], p[1]:shape[3] - p[1]]


def _pool_slip(name, explanation, backward_only=False, **slip):
    """A max-pool mistake made by `_pool(**slip)`: in the forward and the backward it feeds, or the backward only."""
    over = {k: v for k, v in slip.items() if k not in _RIGHT_POOL}  # an argument read wrongly (dilation=1)
    slip = {k: v for k, v in slip.items() if k in _RIGHT_POOL}
    if backward_only:
        return backward_mistake(name, explanation, lambda spec, case, dout, cache: _pool_back(
            dout, _pool(*spec.args(case), **{**case.kwargs, **over}, slip=slip)[1]))
    return mistake(name, explanation, forward=lambda *a, **kw: _pool(*a, **{**kw, **over}, slip=slip),
                   backward=_pool_back,
                   carry=True)


_MAX_POOL_MISTAKES = (
    _pool_slip("a default stride of 1", "with stride=None the windows step by kernel_size (they do not overlap), "
               "not by 1.", unit_stride=True),
    _pool_slip("zero padding instead of -inf", "pad with -inf, not 0 (np.pad(..., constant_values=-np.inf)): a "
               "padded pixel must never be a window's maximum.", pad=0.0),
    _pool_slip("dilation ignored", "with dilation d the window's taps are d pixels apart (slice with step d), so a "
               "window spans d (k - 1) + 1 pixels.", dilation=1),
    mistake("padding ignored", "you pool over x unpadded: pad p on each side with -inf first, and count it in the "
            "output size.", forward=lambda *a, **kw: _pool(*a, **{**kw, "padding": 0})),
    _pool_slip("dx overwritten where windows overlap", "a pixel that is the maximum of several overlapping windows "
               "gets the sum of their gradients: add (+=), do not assign.", backward_only=True, add=False),
    _pool_slip("the gradient to every tied maximum", "when pixels of a window tie for its maximum only the first in "
               "row-major order (np.argmax's) gets dout, as in PyTorch, not all of them.", backward_only=True,
               tie="all"),
    _pool_slip("the gradient to the last tied maximum", "when pixels of a window tie for its maximum the FIRST in "
               "row-major order gets dout (np.argmax, or > while scanning), not the last (>=).", backward_only=True,
               tie="last"),
    forgot_dout("1 at each window's maximum"),
)


_POOL_BENCH = lambda rng: Case("bench (64, 32, 32, 32), kernel 2", {"x": rng.standard_normal((64, 32, 32, 32))},  # noqa: E731
                               {"kernel_size": 2})
register(OpSpec(
    name="max_pool2d", chapter="06_cnn", forward=cnn.max_pool2d_forward, backward=cnn.max_pool2d_backward,
    torch=_torch_max_pool2d, inputs=("x",), cases=_pool_cases("max"), bench=_POOL_BENCH, kinks=True, hints={
        "forward": "The maximum of each window; padding counts as -inf (not 0); stride defaults to kernel_size.",
        "backward": "Only the window's maximum gets dout (the FIRST one in row-major order when values tie, as "
                    "PyTorch); add up where windows overlap."}, mistakes=_MAX_POOL_MISTAKES))
register(OpSpec(
    name="avg_pool2d", chapter="06_cnn", forward=cnn.avg_pool2d_forward, backward=cnn.avg_pool2d_backward,
    torch=_torch_avg_pool2d, inputs=("x",), cases=_pool_cases("avg"), bench=_POOL_BENCH, hints={
        "forward": "The mean of each window; padding counts as 0 and, with count_include_pad=False, is not counted "
                   "in the divisor.",
        "backward": "Every pixel of a window gets dout / window size; add up where windows overlap."}))


def _bn_cases(rng, hidden):
    n = rng.standard_normal

    def c(label, shape, affine=True, stats=True, **kw):
        ch = shape[1]
        return Case(label, {"x": 2 * n(shape) + 1, "weight": n(ch) if affine else None,
                            "bias": n(ch) if affine else None,
                            "running_mean": n(ch) if stats else None,
                            "running_var": rng.uniform(0.5, 2.0, ch) if stats else None}, kw)

    if not hidden:
        const = c("a constant channel (exact zeros), training, (4, 3)", (4, 3))
        const.inputs["x"][:, 1] = 0.0
        big = c("large magnitudes (x * 1000 + 500), training, (6, 2, 3)", (6, 2, 3))
        big.inputs["x"][...] = 1000 * big.inputs["x"] + 500
        return [
            c("1-D, training (8, 4)", (8, 4)),
            c("2-D, training (3, 2, 4, 5), momentum 0.2", (3, 2, 4, 5), momentum=0.2),
            c("batch of one image, training (1, 3, 4, 4)", (1, 3, 4, 4)),
            c("eval with running statistics (5, 3, 2, 2)", (5, 3, 2, 2), training=False),
            const, big,
        ]
    return [
        c("no weight, no bias, no running stats, training (6, 5)", (6, 5), affine=False, stats=False),
        c("eval, 1-D (4, 6)", (4, 6), training=False),
        c("eps 1e-3, training (2, 4, 3, 3)", (2, 4, 3, 3), eps=1e-3),
        c("batch of two, training (2, 3)", (2, 3)),
        c("momentum 1.0: running stats = batch stats, (5, 2, 6)", (5, 2, 6), momentum=1.0),
    ]


def _bn_slip(ddof=0, eps_outside=False, axes=None, batch_stats_in_eval=False):
    """A batch_norm forward with one slip: the variance with `ddof`, eps added to the standard
    deviation (`eps_outside`), statistics over other `axes` (a function of x.ndim), or the batch's
    statistics in eval (`batch_stats_in_eval`). It returns out and a cache of the reference's form (its
    backward then gives the gradients of a student whose backward is right but gets this forward's cache)."""

    def forward(x, weight=None, bias=None, running_mean=None, running_var=None, training=True, momentum=0.1,
                eps=1e-5):
        c = x.shape[1]
        bshape = (1, c) + (1,) * (x.ndim - 2)
        over = (0,) + tuple(range(2, x.ndim)) if axes is None else axes(x.ndim)
        if training or batch_stats_in_eval:
            mean, var = x.mean(axis=over, keepdims=True), x.var(axis=over, ddof=ddof, keepdims=True)
        else:
            mean, var = running_mean.reshape(bshape), running_var.reshape(bshape)
        xhat = (x - mean) / (np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps))
        out = xhat if weight is None else xhat * weight.reshape(bshape)
        inv_std = None if axes else (1.0 / (np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps))).ravel()
        cache = {"xhat": xhat, "inv_std": inv_std, "weight": weight, "has_bias": bias is not None,
                 "training": bool(training or batch_stats_in_eval), "axes": (0,) + tuple(range(2, x.ndim)),
                 "bshape": bshape}
        return (out if bias is None else out + bias.reshape(bshape)), cache

    return forward


def _bn_backward(dx_of=None, reduce=np.sum):
    """A batch_norm backward (reference cache) with dx = `dx_of(g, xhat, inv_std, axes)` in training (None:
    the right one) and dweight, dbias reduced over the batch axes with `reduce`."""

    def grads(spec, case, dout, cache):
        xhat, inv_std, w, axes = cache["xhat"], cache["inv_std"].reshape(cache["bshape"]), cache["weight"], \
            cache["axes"]
        g = dout if w is None else dout * w.reshape(cache["bshape"])
        dx = spec.backward(dout, cache)[0] if dx_of is None or not cache["training"] else dx_of(g, xhat, inv_std,
                                                                                                 axes)
        return (dx, None if w is None else reduce(dout * xhat, axis=axes),
                reduce(dout, axis=axes) if cache["has_bias"] else None)

    return grads


_BN_MISTAKES = (
    mistake("the unbiased variance", "batch norm normalises with the BIASED variance of the batch, the mean of "
            "(x - mean)^2 (np.var's default, ddof=0); the unbiased one (/ (m - 1)) only goes into running_var.",
            carry=True, forward=_bn_slip(ddof=1)),
    mistake("eps outside the square root", "the denominator is sqrt(var + eps), not sqrt(var) + eps: add eps to "
            "the variance, then take the root.", carry=True,
            forward=_bn_slip(eps_outside=True)),
    mistake("the statistics over the batch axis only", "batch norm keeps one mean and one variance per CHANNEL: "
            "reduce over every axis but 1 (N, and H, W for images), axis=(0, 2, 3), not over axis 0 alone.",
            forward=_bn_slip(axes=lambda nd: (0,))),
    mistake("the batch statistics in eval mode", "with training=False normalise with running_mean and "
            "running_var, not with the batch's own mean and variance (that is what makes eval deterministic).",
            carry=True, forward=_bn_slip(batch_stats_in_eval=True)),
    backward_mistake("the backward without the mean terms", "in training the batch mean and variance depend "
                     "on x too, so dx = inv_std / m * (m g - sum(g) - xhat * sum(g * xhat)), sums per channel; "
                     "g * inv_std alone treats them as constants.",
                     _bn_backward(lambda g, xhat, inv_std, axes: g * inv_std)),
    backward_mistake("dweight and dbias as means", "weight and bias are shared by every value of a channel, so "
                     "their gradients SUM dout * xhat and dout over the batch axes (N, H, W): do not average.",
                     _bn_backward(reduce=np.mean)),
    backward_mistake("the variance's term left out", "the variance depends on x too: dx = inv_std / m * (m g - "
                     "sum(g) - xhat * sum(g * xhat)); the last term (xhat times the sum of g * xhat) is missing.",
                     _bn_backward(lambda g, xhat, inv_std, axes: inv_std * (g - g.mean(axis=axes, keepdims=True)))),
)


def _torch_batch_norm(x, weight=None, bias=None, running_mean=None, running_var=None, training=True, momentum=0.1,
                      eps=1e-5):
    import torch.nn.functional as F

    return F.batch_norm(x, running_mean, running_var, weight, bias, training=training, momentum=momentum, eps=eps)


register(OpSpec(
    name="batch_norm", chapter="06_cnn", forward=cnn.batch_norm_forward, backward=cnn.batch_norm_backward,
    torch=_torch_batch_norm, inputs=("x", "weight", "bias", "running_mean", "running_var"),
    differentiable=("x", "weight", "bias"), cases=_bn_cases, mistakes=_BN_MISTAKES,
    bench=lambda rng: Case("bench (64, 32, 32, 32), training", {
        "x": rng.standard_normal((64, 32, 32, 32)), "weight": rng.standard_normal(32), "bias": rng.standard_normal(32),
        "running_mean": np.zeros(32), "running_var": np.ones(32)}),
    hints={"forward": "Per channel (dim 1): mean and BIASED variance over every other dim; (x - mean) / "
                      "sqrt(var + eps) * weight + bias. In eval, use running_mean and running_var instead.",
           "backward": "In training the mean and variance depend on x: dx = inv_std / m * (m g - sum(g) - "
                       "xhat sum(g xhat)) with g = dout * weight, sums per channel; dweight = sum(dout xhat), "
                       "dbias = sum(dout)."}))


def _dropout_cases(rng, hidden):
    n = rng.standard_normal
    if not hidden:
        return [
            Case("p=0.5 (4, 6)", {"x": n((4, 6))}, {"p": 0.5, "seed": 1}),
            Case("batch of one, p=0.2 (1, 3, 4, 4)", {"x": n((1, 3, 4, 4))}, {"p": 0.2, "seed": 2}),
            Case("exact zeros and large magnitudes, p=0.3", {"x": np.array([[0.0, 1000.0, -1000.0, 0.0, 3.0]])},
                 {"p": 0.3, "seed": 3}),
            Case("eval: training=False (3, 5)", {"x": n((3, 5))}, {"p": 0.5, "training": False, "seed": 4}),
        ]
    return [
        Case("p=0 keeps everything (2, 7)", {"x": n((2, 7))}, {"p": 0.0, "seed": 5}),
        Case("p=1 drops everything (3, 3)", {"x": n((3, 3))}, {"p": 1.0, "seed": 6}),
        Case("p=0.9 (8, 8)", {"x": n((8, 8))}, {"p": 0.9, "seed": 7}),
    ]


def _torch_dropout(x, p=0.5, training=True, seed=None):
    """F.dropout's arithmetic with the reference's mask: PyTorch's random generator is not NumPy's,
    so the mask is drawn as the reference draws it (tests/test_cnn.py checks F.dropout itself)."""
    if not training or p == 0:
        return x * 1.0
    import torch

    keep = torch.as_tensor(cnn.dropout_mask(tuple(x.shape), p, seed), device=x.device)
    return x * keep / (1.0 - p) if p < 1 else x * 0.0


register(OpSpec(
    name="dropout", chapter="06_cnn", forward=cnn.dropout_forward, backward=cnn.dropout_backward,
    torch=_torch_dropout, inputs=("x",), cases=_dropout_cases,
    bench=lambda rng: Case("bench (512, 1024), p=0.5", {"x": rng.standard_normal((512, 1024))}, {"p": 0.5, "seed": 0}),
    hints={"forward": "Inverted dropout: mask = rng.random(x.shape) >= p, out = x * mask / (1 - p); identity when "
                      "training=False.",
           "backward": "dout * mask / (1 - p), the same mask as the forward."}))


def _flatten_cases(rng, hidden):
    n = rng.standard_normal
    if not hidden:
        return [
            Case("images (2, 3, 4, 4) -> (2, 48)", {"x": n((2, 3, 4, 4))}),
            Case("batch of one (1, 5, 2)", {"x": n((1, 5, 2))}),
            Case("exact zeros and large magnitudes, start_dim=0", {"x": np.array([[0.0, 1000.0], [-1000.0, 0.0]])},
                 {"start_dim": 0}),
            Case("middle dims 1..2 of (2, 3, 4, 5)", {"x": n((2, 3, 4, 5))}, {"start_dim": 1, "end_dim": 2}),
        ]
    return [Case("already flat (4, 6)", {"x": n((4, 6))}),
            Case("negative dims -3..-2 of (2, 3, 4, 5)", {"x": n((2, 3, 4, 5))}, {"start_dim": -3, "end_dim": -2})]


def _torch_flatten(x, start_dim=1, end_dim=-1):
    return x.flatten(start_dim, end_dim)


register(OpSpec(
    name="flatten", chapter="06_cnn", forward=cnn.flatten_forward, backward=cnn.flatten_backward,
    torch=_torch_flatten, inputs=("x",), cases=_flatten_cases,
    bench=lambda rng: Case("bench (64, 32, 16, 16)", {"x": rng.standard_normal((64, 32, 16, 16))}),
    hints={"forward": "x.reshape(x.shape[:start_dim] + (-1,) + x.shape[end_dim + 1:]).",
           "backward": "dout.reshape(the shape of x)."}))
