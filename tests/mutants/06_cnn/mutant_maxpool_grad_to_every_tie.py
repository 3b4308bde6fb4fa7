"""Max-pool gradient sent to every pixel equal to the window's maximum, not to the first one only."""
# lose: test_max_pool2d_backward
# names: the gradient to every tied maximum

# ---- max_pool2d_forward
def max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1):
    kh, kw = pair(kernel_size)
    sh, sw = (kh, kw) if stride is None else pair(stride)
    (ph, pw), (dh, dw) = pair(padding), pair(dilation)
    n_img, n_c, h, w = x.shape
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    out = np.zeros((n_img, n_c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = xp[:, :, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw]
            out[:, :, i, j] = window.max(axis=(2, 3))
    return out, (xp, out, (kh, kw), (sh, sw), (ph, pw), (dh, dw))

# ---- max_pool2d_backward
def max_pool2d_backward(dout, cache):
    xp, out, (kh, kw), (sh, sw), (ph, pw), (dh, dw) = cache
    dxp = np.zeros(xp.shape)
    _, _, oh, ow = out.shape
    for i in range(oh):
        for j in range(ow):
            rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
            cols = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
            is_max = xp[:, :, rows, cols] == out[:, :, i, j][:, :, None, None]
            dxp[:, :, rows, cols] += is_max * dout[:, :, i, j][:, :, None, None]
    return dxp[:, :, ph:xp.shape[2] - ph, pw:xp.shape[3] - pw]
