"""Dilation ignored (contiguous windows, output size without d): only the hidden dilation cases catch it."""
# lose: test_conv2d_forward
# names: dilation ignored

# ---- conv2d_forward
def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1):
    (sh, sw), (ph, pw) = pair(stride), pair(padding)
    n_img, _, h, w = x.shape
    n_f, _, kh, kw = weight.shape
    oh = (h + 2 * ph - kh) // sh + 1
    ow = (w + 2 * pw - kw) // sw + 1
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out = np.zeros((n_img, n_f, oh, ow))
    for n in range(n_img):
        for f in range(n_f):
            for i in range(oh):
                for j in range(ow):
                    out[n, f, i, j] = np.sum(xp[n, :, i * sh:i * sh + kh, j * sw:j * sw + kw] * weight[f])
            if bias is not None:
                out[n, f] += bias[f]
    return out, (x, weight, bias, (sh, sw), (ph, pw), pair(dilation))
