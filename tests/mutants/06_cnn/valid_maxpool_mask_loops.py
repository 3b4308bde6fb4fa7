"""Max pool with loops over kernel taps and a 'first maximum' mask built by a running found-flag; noisy prints."""

# ---- max_pool2d_forward
import sys
import warnings

def max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1):
    print("max_pool2d_forward", x.shape, kernel_size, stride, padding, dilation)
    warnings.warn("pooling with loops", UserWarning)
    kh, kw = pair(kernel_size)
    sh, sw = pair(stride if stride is not None else kernel_size)
    (ph, pw), (dh, dw) = pair(padding), pair(dilation)
    xp = np.full((x.shape[0], x.shape[1], x.shape[2] + 2 * ph, x.shape[3] + 2 * pw), -np.inf)
    xp[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]] = x
    oh = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    ow = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    taps = [xp[:, :, p * dh:p * dh + sh * (oh - 1) + 1:sh, q * dw:q * dw + sw * (ow - 1) + 1:sw]
            for p in range(kh) for q in range(kw)]
    out = np.max(np.stack(taps), axis=0)
    found = np.zeros(out.shape, dtype=bool)
    masks = []
    for t in taps:
        m = (t == out) & ~found
        found |= m
        masks.append(m)
    print("pooled to", out.shape, file=sys.stderr)
    return out, {"masks": masks, "shape": xp.shape, "k": (kh, kw), "s": (sh, sw), "p": (ph, pw), "d": (dh, dw)}

# ---- max_pool2d_backward
def max_pool2d_backward(dout, cache):
    print("max_pool2d_backward", dout.shape, file=sys.stderr)
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = cache["k"], cache["s"], cache["p"], cache["d"]
    dxp = np.zeros(cache["shape"])
    oh, ow = dout.shape[2:]
    for idx, m in enumerate(cache["masks"]):
        p, q = divmod(idx, kw)
        dxp[:, :, p * dh:p * dh + sh * (oh - 1) + 1:sh, q * dw:q * dw + sw * (ow - 1) + 1:sw] += m * dout
    return dxp[:, :, ph:dxp.shape[2] - ph, pw:dxp.shape[3] - pw]
