"""A flipped-kernel conv, with the registry's conv2d and torch's F.conv2d replaced by the same mistake (the
kernel compares with answers computed before any student code ran: only the wrong forward loses)."""
# lose: test_conv2d_forward
# flags: patched module

# ---- conv2d_forward
import dataclasses
import coursekit.ops
import torch.nn.functional

def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1):
    (sh, sw), (ph, pw), (dh, dw) = pair(stride), pair(padding), pair(dilation)
    n_img, _, h, w = x.shape
    n_f, _, kh, kw = weight.shape
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out = np.zeros((n_img, n_f, oh, ow))
    for n in range(n_img):
        for f in range(n_f):
            for i in range(oh):
                for j in range(ow):
                    window = xp[n, :, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw]
                    out[n, f, i, j] = np.sum(window * weight[f, :, ::-1, ::-1])
            if bias is not None:
                out[n, f] += bias[f]
    return out, (x, weight, bias, (sh, sw), (ph, pw), (dh, dw))

_conv = torch.nn.functional.conv2d
torch.nn.functional.conv2d = lambda x, w, b=None, *a, **k: _conv(x, w.flip(2, 3), b, *a, **k)
coursekit.ops.REGISTRY["conv2d"] = dataclasses.replace(coursekit.ops.REGISTRY["conv2d"], forward=conv2d_forward)
