"""Max pool padded with zeros instead of -inf: a window of negative values at the border returns 0."""
# lose: test_max_pool2d_forward test_max_pool2d_backward
# names: zero padding instead of -inf

# ---- max_pool2d_forward
def max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1):
    kh, kw = pair(kernel_size)
    sh, sw = (kh, kw) if stride is None else pair(stride)
    (ph, pw), (dh, dw) = pair(padding), pair(dilation)
    n_img, n_c, h, w = x.shape
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out = np.zeros((n_img, n_c, oh, ow))
    winner = np.zeros((n_img, n_c, oh, ow, 2), dtype=int)
    for n in range(n_img):
        for c in range(n_c):
            for i in range(oh):
                for j in range(ow):
                    window = xp[n, c, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw]
                    p, q = np.unravel_index(np.argmax(window), window.shape)
                    out[n, c, i, j] = window[p, q]
                    winner[n, c, i, j] = (i * sh + p * dh, j * sw + q * dw)
    return out, ((n_img, n_c, h, w), (ph, pw), winner)
