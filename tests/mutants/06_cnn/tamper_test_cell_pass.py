"""A flipped kernel, and the locked conv2d_forward test cell edited to `pass`: nbgrader restores and scores it."""
# lose: test_conv2d_forward
# flags: test cell edited

# ---- conv2d_forward
def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1):
    (sh, sw), (ph, pw), (dh, dw) = pair(stride), pair(padding), pair(dilation)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    kh, kw = weight.shape[2:]
    oh = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    ow = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((x.shape[0], weight.shape[0], oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = xp[:, :, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw]
            out[:, :, i, j] = np.einsum("nchw,fchw->nf", win, weight[:, :, ::-1, ::-1])
    if bias is not None:
        out += bias[:, None, None]
    return out, (x, weight, bias, (sh, sw), (ph, pw), (dh, dw))

# ---- test_conv2d_forward
pass
