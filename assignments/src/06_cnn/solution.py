"""Assignment 06_cnn: the solutions of its answer cells.

assignments/build_sources.py copies each function below, from its `def` line to its
`### END SOLUTION`, into the answer cell of the same name (assignment.md places the cells):
edit here, then run `python assignments/build_sources.py`.
"""
import numpy as np


# BEGIN SETUP: the lines up to END SETUP also go into the notebook's read-only first cell
def pair(v):
    """An int or a pair as (height, width): pair(3) -> (3, 3), pair((2, 1)) -> (2, 1)."""
    return (int(v), int(v)) if np.isscalar(v) else (int(v[0]), int(v[1]))
# END SETUP


def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """2-D convolution (cross-correlation) like torch.nn.functional.conv2d.

    x: (N, C_in, H, W); weight: (C_out, C_in, kH, kW); bias: (C_out,) or None.
    stride, padding, dilation: an int or a pair (height, width).
    Returns (out, cache): out is (N, C_out, OH, OW), cache whatever conv2d_backward needs.
    """
    ### BEGIN SOLUTION
    (sh, sw), (ph, pw), (dh, dw) = pair(stride), pair(padding), pair(dilation)
    n_img, _, h, w = x.shape
    n_f, _, kh, kw = weight.shape
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out = np.zeros((n_img, n_f, oh, ow))
    for n in range(n_img):
        for f in range(n_f):
            for i in range(oh):
                for j in range(ow):
                    window = xp[n, :, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw]
                    out[n, f, i, j] = np.sum(window * weight[f])
            if bias is not None:
                out[n, f] += bias[f]
    cache = (x, weight, bias, (sh, sw), (ph, pw), (dh, dw))
    return out, cache
    ### END SOLUTION


def conv2d_backward(dout, cache):
    """Gradients of conv2d_forward.

    dout: (N, C_out, OH, OW); cache: what your conv2d_forward returned.
    Returns (dx, dweight, dbias) with the shapes of x, weight, bias (dbias None without bias).
    """
    ### BEGIN SOLUTION
    x, weight, bias, (sh, sw), (ph, pw), (dh, dw) = cache
    n_img, _, h, w = x.shape
    n_f, _, kh, kw = weight.shape
    _, _, oh, ow = dout.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dxp = np.zeros(xp.shape)
    dweight = np.zeros(weight.shape)
    for n in range(n_img):
        for f in range(n_f):
            for i in range(oh):
                for j in range(ow):
                    rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
                    cols = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
                    dxp[n, :, rows, cols] += dout[n, f, i, j] * weight[f]
                    dweight[f] += dout[n, f, i, j] * xp[n, :, rows, cols]
    dx = dxp[:, :, ph:ph + h, pw:pw + w]
    dbias = None if bias is None else dout.sum(axis=(0, 2, 3))
    return dx, dweight, dbias
    ### END SOLUTION


def max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1):
    """Max pooling like torch.nn.functional.max_pool2d.

    x: (N, C, H, W). kernel_size, stride (None: = kernel_size), padding, dilation: an int or
    a pair. Returns (out, cache): out is (N, C, OH, OW), cache whatever max_pool2d_backward needs.
    """
    ### BEGIN SOLUTION
    kh, kw = pair(kernel_size)
    sh, sw = (kh, kw) if stride is None else pair(stride)
    (ph, pw), (dh, dw) = pair(padding), pair(dilation)
    n_img, n_c, h, w = x.shape
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    out = np.zeros((n_img, n_c, oh, ow))
    winner = np.zeros((n_img, n_c, oh, ow, 2), dtype=int)  # (row, column) in xp of each maximum
    for n in range(n_img):
        for c in range(n_c):
            for i in range(oh):
                for j in range(ow):
                    window = xp[n, c, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw]
                    p, q = np.unravel_index(np.argmax(window), window.shape)  # the first maximum
                    out[n, c, i, j] = window[p, q]
                    winner[n, c, i, j] = (i * sh + p * dh, j * sw + q * dw)
    cache = (x.shape, (ph, pw), winner)
    return out, cache
    ### END SOLUTION


def max_pool2d_backward(dout, cache):
    """Gradient of max_pool2d_forward.

    dout: (N, C, OH, OW); cache: what your max_pool2d_forward returned.
    Returns dx with the shape of x.
    """
    ### BEGIN SOLUTION
    (n_img, n_c, h, w), (ph, pw), winner = cache
    dxp = np.zeros((n_img, n_c, h + 2 * ph, w + 2 * pw))
    _, _, oh, ow = dout.shape
    for n in range(n_img):
        for c in range(n_c):
            for i in range(oh):
                for j in range(ow):
                    r, col = winner[n, c, i, j]
                    dxp[n, c, r, col] += dout[n, c, i, j]
    return dxp[:, :, ph:ph + h, pw:pw + w]
    ### END SOLUTION


def batch_norm_forward(x, weight=None, bias=None, running_mean=None, running_var=None, training=True,
                       momentum=0.1, eps=1e-5):
    """Batch normalisation like torch.nn.functional.batch_norm, per channel (axis 1).

    x: (N, C), (N, C, L) or (N, C, H, W); weight, bias, running_mean, running_var: (C,) or None.
    training=True: normalise with the batch's mean and biased variance per channel;
    training=False: with running_mean and running_var.
    Returns (out, cache): out has the shape of x, cache whatever batch_norm_backward needs.
    """
    ### BEGIN SOLUTION
    axes = (0,) + tuple(range(2, x.ndim))  # every axis but the channels
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)  # a (C,) vector that broadcasts against x
    if training:
        mean, var = x.mean(axis=axes), x.var(axis=axes)  # the biased variance (ddof=0)
    else:
        mean, var = running_mean, running_var
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = (x - mean.reshape(shape)) * inv_std.reshape(shape)
    out = xhat if weight is None else xhat * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    cache = (xhat, inv_std.reshape(shape), weight, bias is not None, training, axes, shape)
    return out, cache
    ### END SOLUTION


def batch_norm_backward(dout, cache):
    """Gradients of batch_norm_forward.

    dout: the shape of x; cache: what your batch_norm_forward returned.
    Returns (dx, dweight, dbias): dweight, dbias (C,), or None where the forward's weight, bias was None.
    """
    ### BEGIN SOLUTION
    xhat, inv_std, weight, has_bias, training, axes, shape = cache
    g = dout if weight is None else dout * weight.reshape(shape)  # the gradient of xhat
    if training:  # the batch's mean and variance depend on x as well
        m = xhat.size // xhat.shape[1]  # values per channel
        dx = inv_std / m * (m * g - g.sum(axis=axes, keepdims=True)
                            - xhat * (g * xhat).sum(axis=axes, keepdims=True))
    else:  # running statistics are constants
        dx = g * inv_std
    dweight = None if weight is None else (dout * xhat).sum(axis=axes)
    dbias = dout.sum(axis=axes) if has_bias else None
    return dx, dweight, dbias
    ### END SOLUTION
