"""dx written with = instead of +=: where windows overlap, only the last window's gradient survives."""
# lose: test_conv2d_backward
# names: dx overwritten where windows overlap

# ---- conv2d_backward
def conv2d_backward(dout, cache):
    x, weight, bias, (sh, sw), (ph, pw), (dh, dw) = cache
    n_img, _, h, w = x.shape
    n_f, _, kh, kw = weight.shape
    _, _, oh, ow = dout.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dxp = np.zeros(xp.shape)
    dweight = np.zeros(weight.shape)
    for n in range(n_img):
        for i in range(oh):
            for j in range(ow):
                rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
                cols = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
                dxp[n, :, rows, cols] = np.tensordot(dout[n, :, i, j], weight, axes=1)
                for f in range(n_f):
                    dweight[f] += dout[n, f, i, j] * xp[n, :, rows, cols]
    dbias = None if bias is None else dout.sum(axis=(0, 2, 3))
    return dxp[:, :, ph:ph + h, pw:pw + w], dweight, dbias
