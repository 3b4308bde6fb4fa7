"""Chapter 06 - convolutional networks: conv2d (naive and vectorised), pooling, batch norm, dropout.

Images are NCHW, a conv weight is (C_out, C_in, kH, kW), as in `torch.nn.functional`. `stride`,
`padding`, `dilation` and `kernel_size` are an int or a pair (height, width). Every forward returns
`(out, cache)`; every backward takes `(dout, cache)` and returns the gradients of the forward's
array arguments in order (None for a bias that is None). Nothing passed in is modified.

Output size along one axis (`conv_output_size`):

    out = floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._validate import array, axis, generator, integer
from .activations import sum_of_products
from .train import Model

__all__ = ["CNN", "avg_pool2d_backward", "avg_pool2d_forward", "batch_norm_backward", "batch_norm_forward",
           "cnn_backward", "cnn_forward", "cnn_loss", "conv2d_backward", "conv2d_forward", "conv2d_naive_backward",
           "conv2d_naive_forward",
           "conv_output_size", "dropout_backward", "dropout_forward", "dropout_mask", "flatten_backward",
           "flatten_forward", "init_cnn", "max_pool2d_backward", "max_pool2d_forward"]


# ------------------------------------------------------------------ shapes and windows

def _pair(name, v, minimum):
    """An int or a pair of ints as (height, width), each >= minimum; else TypeError/ValueError naming `name`."""
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{name} must be an int or a pair (height, width), got {v!r}")
        return integer(name, v[0], minimum), integer(name, v[1], minimum)
    v = integer(name, v, minimum)
    return v, v


def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    """Output length along one axis of a convolution or pooling window sliding over `size`."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _geometry(x, kernel, stride, padding, dilation, what):
    """Output size (OH, OW) of windows `kernel` over the NCHW `x`, or ValueError naming the shapes."""
    oh, ow = (conv_output_size(x.shape[2 + a], kernel[a], stride[a], padding[a], dilation[a]) for a in (0, 1))
    if oh < 1 or ow < 1:
        raise ValueError(f"the {what} window (kernel {kernel}, dilation {dilation}) does not fit the input "
                         f"x {x.shape} padded by {padding}: output size would be ({oh}, {ow})")
    return oh, ow


def _pad(x, padding, value=0.0):
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def _offset_slices(kernel, stride, dilation, out_hw):
    """For each kernel offset (i, j), in row-major order, the (rows, cols) slices of the padded input
    that offset reads in every window: window (oh, ow) reads pixel (oh * sH + i * dH, ow * sW + j * dW)."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    return [(slice(i * dh, i * dh + sh * (oh - 1) + 1, sh), slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))
            for i in range(kh) for j in range(kw)]


def _window_sums(xp, kernel, stride, out_hw):
    """The sum of each window of the padded NCHW `xp`: (N, C, OH, OW), one strided slice per kernel offset."""
    slices = _offset_slices(kernel, stride, (1, 1), out_hw)
    out = xp[:, :, slices[0][0], slices[0][1]].copy()
    for rows, cols in slices[1:]:
        out += xp[:, :, rows, cols]
    return out


def _add_windows(dwin, padded_shape, stride, dilation, dtype):
    """Add every window's gradient (N, C, OH, OW, kH, kW) back where it came from (the adjoint of taking windows).

    One strided slice per kernel offset (kH * kW adds), so overlapping windows accumulate.
    """
    dxp = np.zeros(padded_shape, dtype=dtype)
    _, _, oh, ow, kh, kw = dwin.shape
    for k, (rows, cols) in enumerate(_offset_slices((kh, kw), stride, dilation, (oh, ow))):
        dxp[:, :, rows, cols] += dwin[:, :, :, :, k // kw, k % kw]
    return dxp


def _unpad(dxp, padding):
    ph, pw = padding
    return dxp[:, :, ph:dxp.shape[2] - ph, pw:dxp.shape[3] - pw]


def _conv_args(x, weight, bias, stride, padding, dilation):
    x = array("x", x, ndim=4)
    weight = array("weight", weight, ndim=4)
    if x.shape[1] != weight.shape[1]:
        raise ValueError(f"x has {x.shape[1]} channels (shape {x.shape} is NCHW) but weight expects "
                         f"{weight.shape[1]} (shape {weight.shape} is (C_out, C_in, kH, kW))")
    if bias is not None:
        bias = array("bias", bias, ndim=1)
        if bias.shape[0] != weight.shape[0]:
            raise ValueError(f"bias must have shape ({weight.shape[0]},) to match weight {weight.shape}, "
                             f"got {bias.shape}")
    stride, padding, dilation = _pair("stride", stride, 1), _pair("padding", padding, 0), \
        _pair("dilation", dilation, 1)
    kernel = weight.shape[2:]
    out_hw = _geometry(x, kernel, stride, padding, dilation, "convolution")
    return x, weight, bias, stride, padding, dilation, out_hw


def _conv_dout(dout, shape):
    dout = array("dout", dout)
    if dout.shape != shape:
        raise ValueError(f"dout must have the output's shape {shape}, got {dout.shape}")
    return dout


# ------------------------------------------------------------------ conv2d, naive: the definition

def conv2d_naive_forward(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """`F.conv2d` by its definition, one dot product per (image, filter, output row, output column).

    out[n, f, i, j] = bias[f] + sum over c, p, q of
                      x_padded[n, c, i * sh + p * dh, j * sw + q * dw] * weight[f, c, p, q]

    x: (N, C_in, H, W); weight: (C_out, C_in, kH, kW); bias: (C_out,) or None.
    Returns out: (N, C_out, OH, OW) and a cache. Slow on purpose: compare with `conv2d_forward`.
    """
    x, weight, bias, stride, padding, dilation, (oh, ow) = _conv_args(x, weight, bias, stride, padding, dilation)
    xp = _pad(x, padding)
    (sh, sw), (dh, dw), (kh, kw) = stride, dilation, weight.shape[2:]
    out = np.zeros((x.shape[0], weight.shape[0], oh, ow), dtype=np.result_type(x, weight))
    for n in range(x.shape[0]):
        for f in range(weight.shape[0]):
            for i in range(oh):
                for j in range(ow):
                    window = xp[n, :, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw]
                    out[n, f, i, j] = np.sum(window * weight[f]) + (0.0 if bias is None else bias[f])
    return out, (x, weight, bias, stride, padding, dilation)


def conv2d_naive_backward(dout, cache):
    """Gradients of `conv2d_naive_forward` by the same four loops. dout: (N, C_out, OH, OW).

    Returns (dx, dweight, dbias): each window sends dout[n, f, i, j] * weight[f] back to the pixels
    it covered, and the weight collects window * dout[n, f, i, j].
    """
    x, weight, bias, stride, padding, dilation = cache
    (sh, sw), (dh, dw), (kh, kw) = stride, dilation, weight.shape[2:]
    oh, ow = _geometry(x, (kh, kw), stride, padding, dilation, "convolution")
    dout = _conv_dout(dout, (x.shape[0], weight.shape[0], oh, ow))
    dtype = np.result_type(x, weight, dout)
    xp = _pad(x, padding)
    dxp, dweight = np.zeros(xp.shape, dtype=dtype), np.zeros(weight.shape, dtype=dtype)
    for n in range(x.shape[0]):
        for f in range(weight.shape[0]):
            for i in range(oh):
                for j in range(ow):
                    rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
                    cols = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
                    dxp[n, :, rows, cols] += dout[n, f, i, j] * weight[f]
                    dweight[f] += dout[n, f, i, j] * xp[n, :, rows, cols]
    dbias = None if bias is None else dout.sum(axis=(0, 2, 3))
    return _unpad(dxp, padding), dweight, dbias


# ------------------------------------------------------------------ conv2d, vectorised: im2col + one matmul

def _nhwc_windows(xp, kernel, stride, dilation, out_hw):
    """A view (N, OH, OW, kH, kW, C) of the windows of the padded NHWC `xp`: each window's pixels
    keep their C channels side by side in memory, so copying the windows reads contiguous runs."""
    n, _, _, c = xp.shape
    s0, s1, s2, s3 = xp.strides
    return as_strided(xp, shape=(n, *out_hw, *kernel, c),
                      strides=(s0, s1 * stride[0], s2 * stride[1], s1 * dilation[0], s2 * dilation[1], s3),
                      writeable=False)


def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """`F.conv2d`, vectorised: gather every window into a matrix (im2col), then one matrix product.

    x: (N, C_in, H, W); weight: (C_out, C_in, kH, kW); bias: (C_out,) or None.
    Returns out: (N, C_out, OH, OW) and a cache (holding the window matrix for the backward).
    The windows are gathered channels-last (NHWC), the layout fast CPU convolutions use.
    """
    x, weight, bias, stride, padding, dilation, out_hw = _conv_args(x, weight, bias, stride, padding, dilation)
    n, f = x.shape[0], weight.shape[0]
    ph, pw = padding
    xp = np.zeros((n, x.shape[2] + 2 * ph, x.shape[3] + 2 * pw, x.shape[1]), dtype=x.dtype)
    xp[:, ph:ph + x.shape[2], pw:pw + x.shape[3]] = x.transpose(0, 2, 3, 1)  # padded, channels last
    cols = _nhwc_windows(xp, weight.shape[2:], stride, dilation, out_hw).reshape(n * out_hw[0] * out_hw[1], -1)
    w2 = weight.transpose(0, 2, 3, 1).reshape(f, -1)  # (C_out, kH*kW*C_in), the order of a window's values
    out = cols @ w2.T  # (N*OH*OW, C_out)
    if bias is not None:
        out += bias
    out = out.reshape(n, *out_hw, f).transpose(0, 3, 1, 2)
    return out, (x.shape, weight, bias, stride, padding, dilation, cols)


def conv2d_backward(dout, cache):
    """Gradients of `conv2d_forward`. dout: (N, C_out, OH, OW). Returns (dx, dweight, dbias).

    dweight = dout^T @ cols is one matrix product; dx collects, for each kernel offset (p, q),
    dout @ weight[:, :, p, q] added onto the pixels that offset touched (col2im, channels last).
    """
    x_shape, weight, bias, stride, padding, dilation, cols = cache
    n, c, h, w = x_shape
    f, _, kh, kw = weight.shape
    oh, ow = conv_output_size(h, kh, stride[0], padding[0], dilation[0]), \
        conv_output_size(w, kw, stride[1], padding[1], dilation[1])
    dout = _conv_dout(dout, (n, f, oh, ow))
    d2 = dout.transpose(0, 2, 3, 1).reshape(-1, f)  # (N*OH*OW, C_out)
    dweight = (cols.T @ d2).T.reshape(f, kh, kw, c).transpose(0, 3, 1, 2)  # (cols^T d2)^T: OpenBLAS is faster
    dbias = None if bias is None else d2.sum(axis=0)
    ph, pw = padding
    dxp = np.zeros((n, h + 2 * ph, w + 2 * pw, c), dtype=np.result_type(d2, weight))
    for k, (rows, cols_) in enumerate(_offset_slices((kh, kw), stride, dilation, (oh, ow))):
        dxp[:, rows, cols_] += (d2 @ weight[:, :, k // kw, k % kw]).reshape(n, oh, ow, c)
    dx = dxp[:, ph:ph + h, pw:pw + w].transpose(0, 3, 1, 2)
    return dx, dweight, dbias


# ------------------------------------------------------------------ pooling

def _pool_args(x, kernel_size, stride, padding, dilation=1):
    x = array("x", x, ndim=4)
    kernel = _pair("kernel_size", kernel_size, 1)
    stride = kernel if stride is None or stride == () else _pair("stride", stride, 1)
    padding, dilation = _pair("padding", padding, 0), _pair("dilation", dilation, 1)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"padding {padding} must be at most half of kernel_size {kernel} (as in PyTorch)")
    out_hw = _geometry(x, kernel, stride, padding, dilation, "pooling")
    for a in (0, 1):  # with dilation, a window's taps can all fall on padding: refuse, do not guess
        taps = np.arange(out_hw[a])[:, None] * stride[a] + np.arange(kernel[a]) * dilation[a] - padding[a]
        empty = ~((taps >= 0) & (taps < x.shape[2 + a])).any(axis=1)
        if empty.any():
            raise ValueError(f"pooling window {int(np.argmax(empty))} along {('height', 'width')[a]} holds only "
                             f"padding (kernel_size {kernel}, dilation {dilation}, padding {padding}, x {x.shape}); "
                             f"PyTorch returns -inf there and routes its gradient to an arbitrary pixel")
    return x, kernel, stride, padding, dilation, out_hw


def max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1):
    """`F.max_pool2d`: the maximum of each window; padding counts as -inf. stride defaults to kernel_size.

    x: (N, C, H, W). Returns out: (N, C, OH, OW) and a cache. Ties: the first maximum in the
    window's row-major order wins, as in PyTorch (it alone receives the gradient).
    Computed as the elementwise maximum of kH * kW strided slices, one per kernel offset: whole-array
    operations, where a max over each small window is many times slower.
    """
    x, kernel, stride, padding, dilation, out_hw = _pool_args(x, kernel_size, stride, padding, dilation)
    xp = _pad(x, padding, -np.inf)
    slices = _offset_slices(kernel, stride, dilation, out_hw)
    out = xp[:, :, slices[0][0], slices[0][1]].copy()
    for rows, cols in slices[1:]:
        np.maximum(out, xp[:, :, rows, cols], out=out)
    return out, (xp, out, padding, slices)


def max_pool2d_backward(dout, cache):
    """Gradient of `max_pool2d_forward`: each dout goes to its window's (first) maximum, and adds up
    where windows overlap. dout: (N, C, OH, OW). Returns dx: (N, C, H, W).

    Offset by offset, in row-major order: a pixel equal to its window's maximum receives dout unless
    an earlier offset of that window already did.
    """
    xp, out, padding, slices = cache
    dout = _conv_dout(dout, out.shape)
    dxp = np.zeros(xp.shape, dtype=np.result_type(xp, dout))
    taken = np.zeros(out.shape, dtype=bool)
    for rows, cols in slices:
        hit = xp[:, :, rows, cols] == out
        hit &= ~taken
        taken |= hit
        dxp[:, :, rows, cols] += hit * dout
    return _unpad(dxp, padding)


def avg_pool2d_forward(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """`F.avg_pool2d`: the mean of each window; padding counts as zeros. stride defaults to kernel_size.

    count_include_pad=False divides by the number of real (unpadded) pixels in each window.
    x: (N, C, H, W). Returns out: (N, C, OH, OW) and a cache.
    """
    x, kernel, stride, padding, dilation, out_hw = _pool_args(x, kernel_size, stride, padding)
    out = _window_sums(_pad(x, padding), kernel, stride, out_hw)
    divisor = _pool_divisor(x.shape, kernel, stride, padding, out_hw, count_include_pad, x.dtype)
    out /= divisor
    return out, (x.shape, x.dtype, kernel, stride, padding, divisor)


def _pool_divisor(x_shape, kernel, stride, padding, out_hw, count_include_pad, dtype):
    """Window sizes, (OH, OW): kH * kW, or the count of unpadded pixels in each window."""
    if count_include_pad:
        return np.asarray(kernel[0] * kernel[1], dtype=dtype)
    ones = np.ones((1, 1, *x_shape[2:]), dtype=dtype)
    return _window_sums(_pad(ones, padding), kernel, stride, out_hw)[0, 0]


def avg_pool2d_backward(dout, cache):
    """Gradient of `avg_pool2d_forward`: dout / window size to every pixel of the window, added up
    where windows overlap. dout: (N, C, OH, OW). Returns dx: (N, C, H, W)."""
    x_shape, dtype, kernel, stride, padding, divisor = cache
    n, c, h, w = x_shape
    oh, ow = (conv_output_size(x_shape[2 + a], kernel[a], stride[a], padding[a]) for a in (0, 1))
    dout = _conv_dout(dout, (n, c, oh, ow))
    share = dout / divisor
    dwin = np.broadcast_to(share[..., None, None], (n, c, oh, ow, *kernel))
    padded = (n, c, h + 2 * padding[0], w + 2 * padding[1])
    return _unpad(_add_windows(dwin, padded, stride, (1, 1), share.dtype), padding)


# ------------------------------------------------------------------ batch norm

def batch_norm_forward(x, weight=None, bias=None, running_mean=None, running_var=None, training=True,
                       momentum=0.1, eps=1e-5):
    """`F.batch_norm` over the channel dimension 1 of x: (N, C), (N, C, L) or (N, C, H, W).

    training=True normalises with the batch's mean and (biased) variance per channel; the cache's
    "running_mean" and "running_var" are then the updated statistics, (1 - momentum) * old +
    momentum * batch (the variance unbiased, as PyTorch; PyTorch updates its buffers in place, we
    return new arrays). training=False normalises with running_mean and running_var (both needed).
    weight, bias: (C,) or None (scale 1, shift 0). Returns out (shape of x) and a cache.
    """
    x = array("x", x, ndim=(2, 3, 4))
    c = x.shape[1]
    params = {}
    for name, v in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if v is not None:
            v = array(name, v, ndim=1)
            if v.shape != (c,):
                raise ValueError(f"{name} must have shape ({c},), one value per channel of x {x.shape}, "
                                 f"got {v.shape}")
        params[name] = v
    if not isinstance(training, (bool, np.bool_)):
        raise TypeError(f"training must be True or False, got {training!r}")
    axes = (0,) + tuple(range(2, x.ndim))
    bshape = (1, c) + (1,) * (x.ndim - 2)
    count = x.size // c
    rm, rv = params["running_mean"], params["running_var"]
    if training:
        if count < 2:
            raise ValueError(f"batch_norm in training needs more than one value per channel, got x {x.shape}")
        mean = x.mean(axis=axes)
        xc = x - mean.reshape(bshape)  # centred once: the variance and xhat both use it
        var = sum_of_products(xc, xc, axes).reshape(c) / count  # no array of squares
        if rm is not None:
            rm = (1 - momentum) * rm + momentum * mean
        if rv is not None:
            rv = (1 - momentum) * rv + momentum * var * (count / (count - 1))
    else:
        if rm is None or rv is None:
            raise ValueError("batch_norm with training=False needs running_mean and running_var")
        mean, var = rm, rv
        xc = x - mean.reshape(bshape)
    inv_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False)
    xhat = xc
    xhat *= inv_std.reshape(bshape)
    w, b = params["weight"], params["bias"]
    out = xhat if w is None else xhat * w.reshape(bshape)
    if b is not None:
        out = out + b.reshape(bshape) if out is xhat else np.add(out, b.reshape(bshape), out=out)
    cache = {"xhat": xhat, "inv_std": inv_std, "weight": w, "has_bias": b is not None, "training": training,
             "axes": axes, "bshape": bshape, "running_mean": rm, "running_var": rv}
    return out, cache


def batch_norm_backward(dout, cache):
    """Gradients of `batch_norm_forward`: (dx, dweight, dbias) (None for a weight or bias that is None).

    In training the batch statistics depend on x, so dx = inv_std / m * (m * g - sum(g) - xhat * sum(g * xhat))
    with g = dout * weight and m the values per channel; in eval dx = g * inv_std.
    """
    xhat, inv_std, w, bshape, axes = cache["xhat"], cache["inv_std"], cache["weight"], cache["bshape"], cache["axes"]
    dout = array("dout", dout)
    if dout.shape != xhat.shape:
        raise ValueError(f"dout must have the output's shape {xhat.shape}, got {dout.shape}")
    sum_dout = dout.sum(axis=axes)
    sum_dout_xhat = sum_of_products(dout, xhat, axes).reshape(-1)
    scale = inv_std if w is None else inv_std * w  # g = dout * weight enters dx only through this factor
    if cache["training"]:  # the one-formula form, with the two sums above reused for dweight and dbias
        m = xhat.size // xhat.shape[1]
        dx = xhat * (-sum_dout_xhat / m).reshape(bshape)
        dx += dout
        dx -= (sum_dout / m).reshape(bshape)
        dx *= scale.reshape(bshape)
    else:
        dx = dout * scale.reshape(bshape)
    dweight = None if w is None else sum_dout_xhat
    dbias = sum_dout if cache["has_bias"] else None
    return dx, dweight, dbias


# ------------------------------------------------------------------ dropout and flatten

def dropout_mask(shape, p, rng):
    """The keep-mask of inverted dropout: True with probability 1 - p, from the numpy Generator `rng`."""
    return generator(rng).random(shape) >= p


def dropout_forward(x, p=0.5, training=True, seed=None):
    """Inverted dropout (`F.dropout`): zero each value with probability p, scale the rest by 1 / (1 - p).

    The mask comes from `seed` (an int, a numpy Generator, or None for fresh randomness), so a run
    is repeatable; training=False (or p=0) returns x unchanged. Returns out (shape of x) and a cache.
    """
    x = array("x", x)
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be a probability in [0, 1], got {p!r}")
    if not training or p == 0:
        return x.copy(), None
    if p == 1:
        return np.zeros_like(x), np.zeros(x.shape, dtype=x.dtype)
    scale = dropout_mask(x.shape, p, seed) * np.asarray(1.0 / (1.0 - p), dtype=x.dtype)
    return x * scale, scale


def dropout_backward(dout, cache):
    """Gradient of `dropout_forward`: dout times the same scaled mask (dout itself when nothing was dropped)."""
    scale = cache
    dout = array("dout", dout)
    if scale is None:
        return dout.copy()
    if dout.shape != scale.shape:
        raise ValueError(f"dout must have the output's shape {scale.shape}, got {dout.shape}")
    return dout * scale


def flatten_forward(x, start_dim=1, end_dim=-1):
    """`torch.flatten`: merge dimensions start_dim..end_dim into one. Returns out and the cache (x's shape)."""
    x = array("x", x, min_ndim=1)
    s, e = axis("start_dim", start_dim, x), axis("end_dim", end_dim, x)
    if s > e:
        raise ValueError(f"start_dim {start_dim} comes after end_dim {end_dim} for x {x.shape}")
    out = x.reshape(x.shape[:s] + (-1,) + x.shape[e + 1:])
    return out, (x.shape, out.shape)


def flatten_backward(dout, cache):
    """Gradient of `flatten_forward`: dout reshaped back to x's shape."""
    x_shape, out_shape = cache
    dout = array("dout", dout)
    if dout.shape != out_shape:
        raise ValueError(f"dout must have the output's shape {out_shape}, got {dout.shape}")
    return dout.reshape(x_shape)


# ------------------------------------------------------------------ a small CNN for the 8x8 digits

def init_cnn(channels=16, num_classes=10, image_size=8, in_channels=1, kernel_size=3, rng=None):
    """Parameters [conv weight (channels, in_channels, k, k), conv bias (channels,), linear weight
    (num_classes, channels * (image_size // 2)^2), linear bias], drawn as PyTorch's nn.Conv2d and
    nn.Linear draw them by default (U(-1/sqrt(fan_in), 1/sqrt(fan_in)))."""
    from .init import linear_default

    rng = generator(rng)
    k, c = integer("kernel_size", kernel_size, 1), integer("channels", channels, 1)
    if k % 2 == 0:
        raise ValueError(f"kernel_size must be odd (the padding k // 2 keeps the image size), got {k}")
    flat = c * (integer("image_size", image_size, 2) // 2) ** 2
    conv_w = linear_default((c, integer("in_channels", in_channels, 1), k, k), rng=rng)
    conv_b = linear_default((c,), fan_in=in_channels * k * k, rng=rng)
    lin_w = linear_default((integer("num_classes", num_classes, 2), flat), rng=rng)
    lin_b = linear_default((num_classes,), fan_in=flat, rng=rng)
    return [conv_w, conv_b, lin_w, lin_b]


def cnn_forward(params, x):
    """conv2d (padding k // 2) -> relu -> max_pool2d(2) -> flatten -> linear: the logits (N, classes).

    x: (N, C_in, H, W) images, or (N, H * W) rows of a one-channel square image (the digits' 64
    pixels). Returns logits and the caches for `cnn_backward`.
    """
    from .activations import relu_forward
    from .neurons import linear_forward

    conv_w, conv_b, lin_w, lin_b = params
    x = array("x", x, ndim=(2, 4))
    if x.ndim == 2:
        side = int(round(np.sqrt(x.shape[1] / conv_w.shape[1])))
        if conv_w.shape[1] * side * side != x.shape[1]:
            raise ValueError(f"x rows of {x.shape[1]} values are not {conv_w.shape[1]}-channel square images")
        x = x.reshape(x.shape[0], conv_w.shape[1], side, side)
    z, c_conv = conv2d_forward(x, conv_w, conv_b, padding=conv_w.shape[2] // 2)
    a, c_relu = relu_forward(z)
    p, c_pool = max_pool2d_forward(a, 2)
    f, c_flat = flatten_forward(p)
    logits, c_lin = linear_forward(f, lin_w, lin_b)
    return logits, (c_conv, c_relu, c_pool, c_flat, c_lin)


def cnn_backward(dlogits, cache):
    """Gradients [dconv_w, dconv_b, dlin_w, dlin_b] of `cnn_forward` for an upstream gradient on the logits."""
    from .activations import relu_backward
    from .neurons import linear_backward

    c_conv, c_relu, c_pool, c_flat, c_lin = cache
    df, dlin_w, dlin_b = linear_backward(dlogits, c_lin)
    da = max_pool2d_backward(flatten_backward(df, c_flat), c_pool)
    _, dconv_w, dconv_b = conv2d_backward(relu_backward(da, c_relu), c_conv)
    return [dconv_w, dconv_b, dlin_w, dlin_b]


def cnn_loss(params, x, y, l2=0.0):
    """Mean cross-entropy of the CNN on (x, y), plus l2 / 2 * the squared weights (not biases).
    Returns (loss as a float, grads like params)."""
    from .losses import cross_entropy_backward, cross_entropy_forward

    logits, cache = cnn_forward(params, x)
    loss, ce_cache = cross_entropy_forward(logits, y)
    grads = cnn_backward(cross_entropy_backward(np.ones_like(loss), ce_cache), cache)
    loss = float(loss)
    if l2:
        for i in (0, 2):
            loss += 0.5 * l2 * float(np.sum(params[i] ** 2))
            grads[i] = grads[i] + l2 * params[i]
    return loss, grads


CNN = Model(cnn_forward, cnn_loss)  # what `train.fit(..., model=CNN)` trains
