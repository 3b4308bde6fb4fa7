"""Conv with two loops (output positions) and einsum over images, channels and filters; dx cropped by slicing from the end."""

# ---- conv2d_forward
def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1):
    s, p, d = pair(stride), pair(padding), pair(dilation)
    k = weight.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])], mode="constant")
    o = [(xp.shape[2 + a] - d[a] * (k[a] - 1) - 1) // s[a] + 1 for a in (0, 1)]
    out = np.empty((x.shape[0], weight.shape[0], o[0], o[1]))
    for i in range(o[0]):
        for j in range(o[1]):
            win = xp[:, :, i * s[0]:i * s[0] + d[0] * (k[0] - 1) + 1:d[0],
                     j * s[1]:j * s[1] + d[1] * (k[1] - 1) + 1:d[1]]
            out[:, :, i, j] = np.einsum("nchw,fchw->nf", win, weight)
    if bias is not None:
        out += bias.reshape(1, -1, 1, 1)
    return out, [x, weight, bias, s, p, d]

# ---- conv2d_backward
def conv2d_backward(dout, cache):
    x, weight, bias, s, p, d = cache
    k = weight.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])])
    dxp = np.zeros_like(xp)
    dweight = np.zeros_like(weight)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            r = slice(i * s[0], i * s[0] + d[0] * (k[0] - 1) + 1, d[0])
            c = slice(j * s[1], j * s[1] + d[1] * (k[1] - 1) + 1, d[1])
            dxp[:, :, r, c] += np.einsum("nf,fchw->nchw", dout[:, :, i, j], weight)
            dweight += np.einsum("nf,nchw->fchw", dout[:, :, i, j], xp[:, :, r, c])
    dx = dxp[:, :, p[0]:dxp.shape[2] - p[0], p[1]:dxp.shape[3] - p[1]]
    return dx, dweight, (None if bias is None else dout.sum(axis=(0, 2, 3)))
