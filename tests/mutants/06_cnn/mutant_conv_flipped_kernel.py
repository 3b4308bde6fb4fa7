"""A true (textbook) convolution: the kernel flipped in both axes. PyTorch's conv2d does not flip."""
# lose: test_conv2d_forward
# names: a flipped kernel (a true convolution)

# ---- conv2d_forward
def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1):
    (sh, sw), (ph, pw), (dh, dw) = pair(stride), pair(padding), pair(dilation)
    n_img, _, h, w = x.shape
    n_f, _, kh, kw = weight.shape
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    flipped = weight[:, :, ::-1, ::-1]
    out = np.zeros((n_img, n_f, oh, ow))
    for n in range(n_img):
        for f in range(n_f):
            for i in range(oh):
                for j in range(ow):
                    window = xp[n, :, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw]
                    out[n, f, i, j] = np.sum(window * flipped[f])
            if bias is not None:
                out[n, f] += bias[f]
    return out, (x, weight, bias, (sh, sw), (ph, pw), (dh, dw))
