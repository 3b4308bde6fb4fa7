"""Vectorised conv: windows by sliding_window_view, one tensordot forward; backward per kernel offset."""

# ---- conv2d_forward
from numpy.lib.stride_tricks import sliding_window_view

def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1):
    (sh, sw), (ph, pw), (dh, dw) = pair(stride), pair(padding), pair(dilation)
    kh, kw = weight.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    win = sliding_window_view(xp, (span_h, span_w), axis=(2, 3))[:, :, ::sh, ::sw, ::dh, ::dw]
    out = np.tensordot(win, weight, axes=([1, 4, 5], [1, 2, 3]))  # (N, OH, OW, C_out)
    if bias is not None:
        out = out + bias
    return out.transpose(0, 3, 1, 2), {"xp": xp, "weight": weight, "has_bias": bias is not None,
                                       "s": (sh, sw), "p": (ph, pw), "d": (dh, dw), "x_shape": x.shape}

# ---- conv2d_backward
def conv2d_backward(dout, cache):
    xp, weight = cache["xp"], cache["weight"]
    (sh, sw), (ph, pw), (dh, dw) = cache["s"], cache["p"], cache["d"]
    _, _, oh, ow = dout.shape
    _, _, kh, kw = weight.shape
    dxp = np.zeros_like(xp)
    dweight = np.zeros_like(weight)
    for p in range(kh):
        for q in range(kw):
            rows = slice(p * dh, p * dh + sh * (oh - 1) + 1, sh)
            cols = slice(q * dw, q * dw + sw * (ow - 1) + 1, sw)
            dxp[:, :, rows, cols] += np.einsum("nfij,fc->ncij", dout, weight[:, :, p, q])
            dweight[:, :, p, q] = np.einsum("nfij,ncij->fc", dout, xp[:, :, rows, cols])
    h, w = cache["x_shape"][2:]
    dbias = dout.sum(axis=(0, 2, 3)) if cache["has_bias"] else None
    return dxp[:, :, ph:ph + h, pw:pw + w], dweight, dbias
