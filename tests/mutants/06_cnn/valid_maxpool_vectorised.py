"""Vectorised max pool: sliding_window_view, argmax over each flattened window, np.add.at to route gradients."""

# ---- max_pool2d_forward
from numpy.lib.stride_tricks import sliding_window_view

def max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1):
    k = pair(kernel_size)
    s = k if stride is None else pair(stride)
    p, d = pair(padding), pair(dilation)
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])), constant_values=-np.inf)
    span = (d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1)
    win = sliding_window_view(xp, span, axis=(2, 3))[:, :, ::s[0], ::s[1], ::d[0], ::d[1]]
    flat = win.reshape(*win.shape[:4], -1)
    arg = flat.argmax(axis=-1)
    out = np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
    oh, ow = out.shape[2:]
    rows = np.arange(oh)[:, None] * s[0] + (arg // k[1]) * d[0]
    cols = np.arange(ow)[None, :] * s[1] + (arg % k[1]) * d[1]
    return out, (x.shape, p, rows, cols)

# ---- max_pool2d_backward
def max_pool2d_backward(dout, cache):
    (n, c, h, w), p, rows, cols = cache
    dxp = np.zeros((n, c, h + 2 * p[0], w + 2 * p[1]))
    ni = np.arange(n)[:, None, None, None]
    ci = np.arange(c)[None, :, None, None]
    np.add.at(dxp, (ni, ci, rows, cols), dout)
    return dxp[:, :, p[0]:p[0] + h, p[1]:p[1] + w]
