"""Max-pool backward with = instead of +=: a pixel that wins two overlapping windows keeps one gradient."""
# lose: test_max_pool2d_backward
# names: dx overwritten where windows overlap

# ---- max_pool2d_backward
def max_pool2d_backward(dout, cache):
    (n_img, n_c, h, w), (ph, pw), winner = cache
    dxp = np.zeros((n_img, n_c, h + 2 * ph, w + 2 * pw))
    _, _, oh, ow = dout.shape
    for n in range(n_img):
        for c in range(n_c):
            for i in range(oh):
                for j in range(ow):
                    r, col = winner[n, c, i, j]
                    dxp[n, c, r, col] = dout[n, c, i, j]
    return dxp[:, :, ph:ph + h, pw:pw + w]
