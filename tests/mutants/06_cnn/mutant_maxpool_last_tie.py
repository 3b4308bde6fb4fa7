"""Ties go to the LAST maximum of the window (>= while scanning): the values are right, the gradient is not."""
# lose: test_max_pool2d_backward
# names: the gradient to the last tied maximum

# ---- max_pool2d_forward
def max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1):
    kh, kw = pair(kernel_size)
    sh, sw = (kh, kw) if stride is None else pair(stride)
    (ph, pw), (dh, dw) = pair(padding), pair(dilation)
    n_img, n_c, h, w = x.shape
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    out = np.full((n_img, n_c, oh, ow), -np.inf)
    winner = np.zeros((n_img, n_c, oh, ow, 2), dtype=int)
    for i in range(oh):
        for j in range(ow):
            for p in range(kh):
                for q in range(kw):
                    r, c = i * sh + p * dh, j * sw + q * dw
                    v = xp[:, :, r, c]
                    take = v >= out[:, :, i, j]
                    out[:, :, i, j] = np.where(take, v, out[:, :, i, j])
                    winner[:, :, i, j, 0] = np.where(take, r, winner[:, :, i, j, 0])
                    winner[:, :, i, j, 1] = np.where(take, c, winner[:, :, i, j, 1])
    return out, ((n_img, n_c, h, w), (ph, pw), winner)
